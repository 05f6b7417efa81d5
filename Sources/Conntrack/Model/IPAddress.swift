/// An IPv4 or IPv6 address held inline (no heap), so that a decoded `Flow`
/// costs nothing to create and compare on the dump's hot path.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Family: UInt8, Sendable, Hashable, CustomStringConvertible {
        case ipv4 = 2  // AF_INET
        case ipv6 = 10  // AF_INET6

        public var description: String { self == .ipv4 ? "ipv4" : "ipv6" }
        /// Address length in bytes.
        public var byteCount: Int { self == .ipv4 ? 4 : 16 }
        public var bitCount: Int { byteCount * 8 }
    }

    public let family: Family
    /// The address in network order, as a 128-bit number split in two.
    /// IPv4 lives in the low 32 bits of `low`; `high` is zero.
    public let high: UInt64
    public let low: UInt64

    public init(ipv4 value: UInt32) {
        family = .ipv4
        high = 0
        low = UInt64(value)
    }

    public init(ipv6High high: UInt64, low: UInt64) {
        family = .ipv6
        self.high = high
        self.low = low
    }

    /// Builds an address from its raw network-order bytes (4 or 16).
    public init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4:
            self.init(ipv4: bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case 16:
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for (index, byte) in bytes.enumerated() {
                if index < 8 { hi = hi << 8 | UInt64(byte) } else { lo = lo << 8 | UInt64(byte) }
            }
            self.init(ipv6High: hi, low: lo)
        default:
            return nil
        }
    }

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text form.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let (hi, lo) = IPAddress.parseIPv6(Substring(text)) else { return nil }
            self.init(ipv6High: hi, low: lo)
        } else {
            guard let value = IPAddress.parseIPv4(Substring(text)) else { return nil }
            self.init(ipv4: value)
        }
    }

    /// The address's network-order bytes.
    public var bytes: [UInt8] {
        switch family {
        case .ipv4:
            let v = UInt32(truncatingIfNeeded: low)
            return [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
        case .ipv6:
            return (0..<16).map { i in
                let word = i < 8 ? high : low
                return UInt8(truncatingIfNeeded: word >> UInt64(8 * (7 - i % 8)))
            }
        }
    }

    /// Canonical text: dotted quad, or RFC 5952 for IPv6 (lower case, longest
    /// run of two or more zero groups compressed, first run on a tie); see
    /// `writeCanonicalText(to:)`.
    public var description: String {
        withCanonicalText { String(decoding: $0, as: UTF8.self) }
    }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        (lhs.family.rawValue, lhs.high, lhs.low) < (rhs.family.rawValue, rhs.high, rhs.low)
    }

    static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let octet = UInt8(part) else { return nil }
            // Leading zeros are ambiguous (octal in some parsers): reject them.
            if part.count > 1 && part.first == "0" { return nil }
            value = value << 8 | UInt32(octet)
        }
        return value
    }

    static func parseIPv6(_ text: Substring) -> (UInt64, UInt64)? {
        var groups: [UInt16] = []
        var tail = text
        var embeddedIPv4: UInt32?
        // An embedded dotted IPv4 tail takes the last two groups.
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = parseIPv4(text[text.index(after: lastColon)...]) else { return nil }
            embeddedIPv4 = v4
            tail = text[...lastColon]
            if tail.hasSuffix(":") && !tail.hasSuffix("::") { tail = tail.dropLast() }
        }
        let halves = tail.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for piece in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !piece.isEmpty, piece.count <= 4, let g = UInt16(piece, radix: 16) else { return nil }
                out.append(g)
            }
            return out
        }
        let needed = embeddedIPv4 == nil ? 8 : 6
        guard let head = parseGroups(halves[0]) else { return nil }
        if halves.count == 2 {
            guard let rest = parseGroups(halves[1]), head.count + rest.count < needed else { return nil }
            groups = head + Array(repeating: 0, count: needed - head.count - rest.count) + rest
        } else {
            guard head.count == needed else { return nil }
            groups = head
        }
        if let v4 = embeddedIPv4 {
            groups.append(UInt16(v4 >> 16))
            groups.append(UInt16(truncatingIfNeeded: v4))
        }
        let hi = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let lo = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (hi, lo)
    }
}

extension String {
    fileprivate func components(separatedBy separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let range = rest.firstRange(of: separator) {
            parts.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }
}

extension Substring {
    fileprivate func components(separatedBy separator: String) -> [String] {
        String(self).components(separatedBy: separator)
    }
}
