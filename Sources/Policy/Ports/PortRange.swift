/// An inclusive range of TCP/UDP ports, `low...high`.
public struct PortRange: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let low: UInt16
    public let high: UInt16

    public init?(low: UInt16, high: UInt16) {
        guard low <= high else { return nil }
        self.low = low
        self.high = high
    }

    /// Parses `PORT` or `LOW-HIGH` (0-65535, low <= high).
    public init(parsing text: some StringProtocol) throws(PolicyError) {
        let trimmed = text.trimmingSpaces
        let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else {
            throw .invalidPortRange(trimmed, reason: "expected PORT or LOW-HIGH")
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
        let low = try port(parts[0])
        let high = parts.count == 2 ? try port(parts[1]) : low
        guard low <= high else {
            throw .invalidPortRange(trimmed, reason: "reversed range (\(low) > \(high)); write \(high)-\(low)")
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
