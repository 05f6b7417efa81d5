import Glibc

/// Failures of `watch` outside the kernel's conntrack interface.
public enum WatchError: Error, Hashable, Sendable, CustomStringConvertible {
    case system(String, Int32)

    public var description: String {
        switch self {
        case let .system(operation, code):
            "\(operation) failed: \(String(cString: strerror(code)))"
        }
    }
}
