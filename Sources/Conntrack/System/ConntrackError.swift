public import SystemPackage

/// Everything that can go wrong talking to the kernel, phrased so an operator
/// can act on it. Each has a one-line `description`.
public enum ConntrackError: Error, Hashable, Sendable, CustomStringConvertible {
    /// EPERM/EACCES: the caller lacks CAP_NET_ADMIN in the target namespace.
    case permissionDenied(operation: String)
    /// ctnetlink is not available (module not loaded, protocol unsupported).
    case conntrackUnavailable(Errno)
    /// EPERM/EACCES opening or entering a namespace: setns needs CAP_SYS_ADMIN
    /// as well, and /proc/PID/ns/net needs ptrace access to PID.
    case namespaceEntryDenied(String)
    case namespaceNotFound(String)
    case notANetworkNamespace(String)
    case invalidNamespaceName(String)
    /// Returning to the original namespace failed; the process must not go on.
    case namespaceRestoreFailed(Errno)
    /// A socket or kernel call failed with an errno not covered above.
    case system(operation: String, Errno)
    /// The kernel ran out of socket buffer space and dropped messages (ENOBUFS).
    case receiveOverrun
    /// The kernel sent bytes that do not parse as netlink at all.
    case malformedDatagram(DecodeError)

    public var description: String {
        switch self {
        case .permissionDenied(let operation):
            "permission denied: \(operation) needs root or CAP_NET_ADMIN in the target network namespace"
        case .conntrackUnavailable(let errno):
            "conntrack netlink is not available (\(errno.description)); is the nf_conntrack_netlink module loaded? try: modprobe nf_conntrack_netlink"
        case .namespaceEntryDenied(let path):
            "permission denied: entering network namespace \(path) needs root (CAP_SYS_ADMIN to enter it, CAP_NET_ADMIN in it)"
        case .namespaceNotFound(let path):
            "network namespace not found: \(path)"
        case .notANetworkNamespace(let path):
            "not a network namespace: \(path)"
        case .invalidNamespaceName(let name):
            "invalid network namespace name '\(name)': use a name from 'ip netns list', a path, or a PID"
        case .namespaceRestoreFailed(let errno):
            "could not return to the original network namespace (\(errno.description))"
        case let .system(operation, errno):
            "\(operation) failed: \(errno.description)"
        case .receiveOverrun:
            "the kernel dropped netlink messages (ENOBUFS): the receive buffer overflowed; retry"
        case .malformedDatagram(let error):
            "malformed netlink data from the kernel: \(error)"
        }
    }

    /// Maps an errno from a socket call to the most useful case.
    static func from(_ errno: Errno, operation: String) -> ConntrackError {
        switch errno {
        case .notPermitted, .permissionDenied: .permissionDenied(operation: operation)
        case .protocolNotSupported, .addressFamilyNotSupported, .notSupported, .noSuchFileOrDirectory:
            .conntrackUnavailable(errno)
        case .noBufferSpace: .receiveOverrun
        default: .system(operation: operation, errno)
        }
    }
}
