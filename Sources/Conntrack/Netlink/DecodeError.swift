/// Why one netlink message could not be decoded. A malformed message is
/// skipped and counted; it never crashes the reader or reads out of bounds.
public enum DecodeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A length field points past the end of the bytes that were received.
    case truncated(what: String, needed: Int, available: Int)
    /// An attribute's payload has the wrong size for its type.
    case badAttributeLength(what: String, length: Int)
    /// A required attribute is absent.
    case missingAttribute(String)
    /// An address family other than IPv4/IPv6.
    case unsupportedFamily(UInt8)

    public var description: String {
        switch self {
        case let .truncated(what, needed, available):
            "truncated \(what): needs \(needed) bytes, \(available) available"
        case let .badAttributeLength(what, length):
            "attribute \(what) has invalid length \(length)"
        case let .missingAttribute(name):
            "missing attribute \(name)"
        case let .unsupportedFamily(family):
            "unsupported address family \(family)"
        }
    }
}
