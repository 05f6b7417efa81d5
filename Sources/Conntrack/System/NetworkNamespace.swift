import CConntrack
import CConntrackShim
import Glibc
import SystemPackage

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
    /// opened in after the thread has returned. Errors entering the namespace
    /// are `ConntrackError`s; `body`'s own errors pass through unchanged.
    public func withEntered<Result>(_ body: () throws -> Result) throws -> Result {
        var failure: (any Error)?
        let result = try runInside { () -> Result? in
            do { return try body() } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return result!
    }

    /// `withEntered` for the socket types, whose only error is `ConntrackError`.
    func runInside<Result>(_ body: () throws(ConntrackError) -> Result) throws(ConntrackError) -> Result {
        let target: FileDescriptor
        // Non-blocking: a FIFO given as --netns must fail, not hang.
        switch SystemCall.open(path, flags: O_RDONLY | O_NONBLOCK) {
        case .success(let descriptor): target = descriptor
        case .failure(let error):
            switch error {
            case .noSuchFileOrDirectory, .notDirectory: throw .namespaceNotFound(path)
            case .permissionDenied, .notPermitted: throw .namespaceEntryDenied(path)
            default: throw .system(operation: "open \(path)", error)
            }
        }
        defer { try? target.close() }

        let original: FileDescriptor
        switch SystemCall.open("/proc/thread-self/ns/net", flags: O_RDONLY) {
        case .success(let descriptor): original = descriptor
        case .failure(let error): throw .system(operation: "open /proc/thread-self/ns/net", error)
        }
        defer { try? original.close() }

        if ctaudit_setns(target.rawValue, ctaudit_clone_newnet()) != 0 {
            let errno = Errno(rawValue: Glibc.errno)
            switch errno {
            case .invalidArgument: throw .notANetworkNamespace(path)
            case .notPermitted, .permissionDenied: throw .namespaceEntryDenied(path)
            default: throw .system(operation: "setns \(path)", errno)
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
