public import SystemPackage

/// What can go wrong reading a pinned BPF map, phrased so an operator can act
/// on it. Reading never changes a map: every descriptor is opened read-only.
public enum BPFError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No map pinned at this path (the dataplane is not installed or not running).
    case notFound(path: String)
    /// EPERM/EACCES: bpf(2) needs root (CAP_BPF or CAP_SYS_ADMIN) and read access to the pin.
    case permissionDenied(path: String)
    /// The pinned object is not a map, or the kernel has no bpf(2).
    case notAMap(path: String)
    /// The map's type, key or value size is not one of the layouts ctaudit decodes.
    case unknownLayout(path: String, found: BPFMapFacts, expected: String)
    /// Any other bpf(2) failure.
    case system(operation: String, path: String, Errno)

    public var description: String {
        switch self {
        case .notFound(let path):
            "no BPF map pinned at \(path)"
        case .permissionDenied(let path):
            "permission denied reading BPF map \(path): needs root (CAP_BPF or CAP_SYS_ADMIN)"
        case .notAMap(let path):
            "\(path) is not a BPF map (or this kernel has no bpf(2))"
        case let .unknownLayout(path, found, expected):
            "BPF map \(path) has an unknown layout (\(found)); ctaudit decodes \(expected) and does not guess"
        case let .system(operation, path, errno):
            "\(operation) on BPF map \(path) failed: \(errno.description)"
        }
    }

    static func from(_ errno: Errno, operation: String, path: String) -> BPFError {
        switch errno {
        case .noSuchFileOrDirectory: .notFound(path: path)
        case .notPermitted, .permissionDenied: .permissionDenied(path: path)
        case .invalidArgument, .notSupported, .noFunction: .notAMap(path: path)
        default: .system(operation: operation, path: path, errno)
        }
    }
}
