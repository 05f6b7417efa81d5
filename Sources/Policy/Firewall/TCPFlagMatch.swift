/// TCP header flags of one packet.
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x01)
    public static let syn = TCPFlags(rawValue: 0x02)
    public static let rst = TCPFlags(rawValue: 0x04)
    public static let psh = TCPFlags(rawValue: 0x08)
    public static let ack = TCPFlags(rawValue: 0x10)
    public static let urg = TCPFlags(rawValue: 0x20)

    static let names: [(String, TCPFlags)] = [("syn", .syn), ("ack", .ack), ("fin", .fin), ("rst", .rst), ("psh", .psh), ("urg", .urg)]

    package static func named(_ name: String) -> TCPFlags? {
        names.first { $0.0 == name.lowercased() }?.1
    }
}

/// A condition on TCP flags, as an OR of ANDs of (possibly negated) flags:
/// Hetzner Robot's `syn|ack`, `ack&!syn`; iptables' `--tcp-flags MASK COMP`.
public struct TCPFlagMatch: Hashable, Sendable, CustomStringConvertible {
    public struct Term: Hashable, Sendable {
        public var flag: TCPFlags
        public var negated: Bool

        public init(flag: TCPFlags, negated: Bool) {
            self.flag = flag
            self.negated = negated
        }
    }

    /// Any one of these conjunctions matching matches.
    public var alternatives: [[Term]]

    public init(alternatives: [[Term]]) { self.alternatives = alternatives }

    /// Parses Hetzner Robot syntax: flags joined by `|` (or) and `&` (and),
    /// `&` binding tighter, a flag optionally negated with `!`.
    public init?(robot text: String) {
        var alternatives: [[Term]] = []
        for alternative in text.split(separator: "|", omittingEmptySubsequences: false) {
            var terms: [Term] = []
            for piece in alternative.split(separator: "&", omittingEmptySubsequences: false) {
                var name = piece.trimmingSpaces
                var negated = false
                if name.hasPrefix("!") {
                    negated = true
                    name = String(name.dropFirst()).trimmingSpaces
                }
                guard let flag = TCPFlags.named(name) else { return nil }
                terms.append(Term(flag: flag, negated: negated))
            }
            alternatives.append(terms)
        }
        guard !alternatives.isEmpty else { return nil }
        self.alternatives = alternatives
    }

    /// iptables `--tcp-flags MASK COMP`: of the flags in MASK, exactly those in COMP are set.
    public init?(iptablesMask mask: String, set comp: String) {
        func flags(_ list: String) -> [TCPFlags]? {
            if list.uppercased() == "ALL" { return TCPFlags.names.map(\.1) }
            if list.uppercased() == "NONE" { return [] }
            var out: [TCPFlags] = []
            for name in list.split(separator: ",") {
                guard let flag = TCPFlags.named(String(name)) else { return nil }
                out.append(flag)
            }
            return out
        }
        guard let masked = flags(mask), let wanted = flags(comp) else { return nil }
        self.alternatives = [masked.map { flag in Term(flag: flag, negated: !wanted.contains(flag)) }]
    }

    public func matches(_ flags: TCPFlags) -> Bool {
        alternatives.contains { terms in terms.allSatisfy { flags.contains($0.flag) != $0.negated } }
    }

    public var description: String {
        alternatives.map { terms in
            terms.map { term in
                (term.negated ? "!" : "") + (TCPFlags.names.first { $0.1 == term.flag }?.0 ?? "?")
            }.joined(separator: "&")
        }.joined(separator: "|")
    }
}
