/// What the kernel says about a map (BPF_OBJ_GET_INFO_BY_FD): checked against
/// a layout before a single entry is decoded.
public struct BPFMapFacts: Hashable, Sendable, CustomStringConvertible {
    public enum MapType: Hashable, Sendable, CustomStringConvertible {
        case hash
        case lruHash
        case other(UInt32)

        public var description: String {
            switch self {
            case .hash: "hash"
            case .lruHash: "lru_hash"
            case .other(let raw): "type \(raw)"
            }
        }
    }

    public var type: MapType
    public var keySize: Int
    public var valueSize: Int
    public var maxEntries: Int
    /// The kernel's map name (at most 15 characters).
    public var name: String

    public init(type: MapType, keySize: Int, valueSize: Int, maxEntries: Int, name: String = "") {
        self.type = type
        self.keySize = keySize
        self.valueSize = valueSize
        self.maxEntries = maxEntries
        self.name = name
    }

    /// Both hash flavours iterate and look up the same way.
    public var isHash: Bool { type == .hash || type == .lruHash }

    public var description: String { "\(type), key \(keySize) bytes, value \(valueSize) bytes" }
}
