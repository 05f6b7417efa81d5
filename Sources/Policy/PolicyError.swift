/// A policy value the user gave that cannot be used. One line, naming the
/// value and what is wrong with it.
public enum PolicyError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidPortRange(String, reason: String)
    case invalidNetwork(String, reason: String)

    public var description: String {
        switch self {
        case let .invalidPortRange(text, reason): "invalid port range '\(text)': \(reason)"
        case let .invalidNetwork(text, reason): "invalid CIDR '\(text)': \(reason)"
        }
    }
}
