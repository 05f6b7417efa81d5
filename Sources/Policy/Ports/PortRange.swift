/// An inclusive range of TCP/UDP ports, `low...high`.
public struct PortRange: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let low: UInt16
    public let high: UInt16

    public init?(low: UInt16, high: UInt16) {
        guard low <= high else { return nil }
        self.low = low
        self.high = high
    }

    /// Parses every notation people copy a range in: `PORT`, `LOW-HIGH`
    /// (ctaudit, sysctl, Robot), `LOW:HIGH` (iptables `--dport`, Calico
    /// `natPortRange`), and iptables' open ends `LOW:` (to 65535) and `:HIGH`
    /// (from 0), and `LOW HIGH` as `sysctl net.ipv4.ip_local_port_range`
    /// prints it. 0-65535, low <= high.
    public init(parsing text: some StringProtocol) throws(PolicyError) {
        let trimmed = text.trimmingSpaces
        let separators = trimmed.filter { $0 == "-" || $0 == ":" }
        guard separators.count <= 1 else {
            throw .invalidPortRange(trimmed, reason: "expected PORT, LOW-HIGH or LOW:HIGH")
        }
        var separator = separators.first
        var parts =
            separator.map { sep in trimmed.split(separator: sep, omittingEmptySubsequences: false) }
            ?? [Substring(trimmed)]
        let words = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if separator == nil && words.count == 2 {
            separator = " "
            parts = words
        }
        func port(_ part: Substring) throws(PolicyError) -> UInt16 {
            let digits = String(part).trimmingSpaces
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw .invalidPortRange(trimmed, reason: "'\(digits)' is not a port number")
            }
            guard let value = Int(digits), value <= 65535 else {
                throw .invalidPortRange(trimmed, reason: "\(digits) is above 65535")
            }
            return UInt16(value)
        }
        // iptables reads ":1023" as 0:1023 and "1024:" as 1024:65535.
        let openLow = separator == ":" && parts[0].trimmingSpaces.isEmpty
        let openHigh = separator == ":" && parts.count == 2 && parts[1].trimmingSpaces.isEmpty
        if openLow && openHigh { throw .invalidPortRange(trimmed, reason: "expected PORT, LOW-HIGH or LOW:HIGH") }
        let low = openLow ? 0 : try port(parts[0])
        let high = parts.count == 2 ? (openHigh ? 65535 : try port(parts[1])) : low
        guard low <= high else {
            throw .invalidPortRange(
                trimmed, reason: "reversed range (\(low) > \(high)); write \(high)\(separator == ":" ? ":" : "-")\(low)")
        }
        self.low = low
        self.high = high
    }

    public func contains(_ port: UInt16) -> Bool { low <= port && port <= high }

    /// Number of ports in the range.
    public var count: Int { Int(high) - Int(low) + 1 }

    public var description: String { low == high ? "\(low)" : "\(low)-\(high)" }

    public static func < (lhs: PortRange, rhs: PortRange) -> Bool { (lhs.low, lhs.high) < (rhs.low, rhs.high) }
}

extension StringProtocol {
    package var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
