import CConntrack
import CConntrackShim
import SystemPackage

import Glibc

/// A network namespace to read, named the way `ip netns` and operators do:
/// a name under /run/netns, a path to an nsfs file, or a process id.
public struct NetworkNamespace: Hashable, Sendable, CustomStringConvertible {
    /// What the user typed (for reports).
    public let name: String
    /// The nsfs file that is opened and entered.
    public let path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// Resolves `NAME` (/run/netns/NAME), `PATH` (contains a slash) or `PID`
    /// (/proc/PID/ns/net). Does not touch the file system.
    public static func resolve(_ spec: String) throws(ConntrackError) -> NetworkNamespace {
        if spec.isEmpty { throw .invalidNamespaceName(spec) }
        if spec.contains("/") {
            return NetworkNamespace(name: spec, path: spec)
        }
        if spec.allSatisfy(\.isASCII), spec.allSatisfy(\.isNumber), let pid = Int32(spec), pid > 0 {
            return NetworkNamespace(name: spec, path: "/proc/\(pid)/ns/net")
        }
        // A bare name must stay inside /run/netns.
        guard spec != ".", spec != "..", !spec.contains("\0") else { throw .invalidNamespaceName(spec) }
        return NetworkNamespace(name: spec, path: "/run/netns/\(spec)")
    }

    public var description: String { name }

    /// Runs `body` with the calling thread inside this namespace and returns
    /// to the original one before returning, on every path.
    ///
    /// `setns` moves only the calling thread, so `body` must be synchronous:
    /// it is meant to open sockets, which keep reading the namespace they were
    /// opened in after the thread has returned.
    public func withEntered<Result>(_ body: () throws -> Result) throws -> Result {
        let target: FileDescriptor
        do {
            // Non-blocking: a FIFO given as --netns must fail, not hang.
            target = try FileDescriptor.open(path, .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch let errno as Errno {
            switch errno {
            case .noSuchFileOrDirectory, .notDirectory: throw ConntrackError.namespaceNotFound(path)
            case .permissionDenied, .notPermitted: throw ConntrackError.namespaceEntryDenied(path)
            default: throw ConntrackError.system(operation: "open \(path)", errno)
            }
        }
        defer { try? target.close() }

        let original: FileDescriptor
        do {
            original = try FileDescriptor.open("/proc/thread-self/ns/net", .readOnly, options: [.closeOnExec])
        } catch let errno as Errno {
            throw ConntrackError.system(operation: "open /proc/thread-self/ns/net", errno)
        }
        defer { try? original.close() }

        if ctaudit_setns(target.rawValue, ctaudit_clone_newnet()) != 0 {
            let errno = Errno(rawValue: Glibc.errno)
            switch errno {
            case .invalidArgument: throw ConntrackError.notANetworkNamespace(path)
            case .notPermitted, .permissionDenied: throw ConntrackError.namespaceEntryDenied(path)
            default: throw ConntrackError.system(operation: "setns \(path)", errno)
            }
        }
        defer {
            if ctaudit_setns(original.rawValue, ctaudit_clone_newnet()) != 0 {
                // Going on in the wrong namespace would read or report the wrong
                // table; there is no safe way to continue.
                let errno = Errno(rawValue: Glibc.errno)
                fatalError(ConntrackError.namespaceRestoreFailed(errno).description)
            }
        }
        return try body()
    }
}
