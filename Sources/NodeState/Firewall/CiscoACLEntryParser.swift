import Conntrack
import Policy

/// One `permit`/`deny` entry of a Cisco IOS access list, turned into a rule
/// judged for a reply entering the interface: the entry's source is the
/// remote peer, its destination the node's translated address and port.
/// `established` matches TCP packets with ACK or RST set, on any port.
struct CiscoACLEntryParser {
    var file: String
    var line: Int
    var family: IPAddress.Family
    var standard: Bool

    private var words: [String] = []
    private var position = 0

    init(file: String, line: Int, family: IPAddress.Family, standard: Bool) {
        self.file = file
        self.line = line
        self.family = family
        self.standard = standard
    }

    func fail(_ message: String) -> FirewallFileError {
        FirewallFileError(path: file, location: "line \(line)", message: message)
    }

    static let protocols: [String: IPProtocol?] = [
        "ip": nil, "ipv6": nil, "tcp": .tcp, "udp": .udp, "icmp": .icmp, "gre": .gre, "esp": IPProtocol(rawValue: 50),
        "ahp": IPProtocol(rawValue: 51), "sctp": .sctp, "igmp": IPProtocol(rawValue: 2), "ipinip": IPProtocol(rawValue: 4),
        "eigrp": IPProtocol(rawValue: 88), "ospf": IPProtocol(rawValue: 89), "pim": IPProtocol(rawValue: 103),
        "pcp": IPProtocol(rawValue: 108), "nos": IPProtocol(rawValue: 94),
    ]

    /// IOS's port keywords (TCP and UDP share the table: a name of the other
    /// protocol is refused by IOS itself, so it never reaches a saved config).
    static let portNames: [String: UInt16] = [
        "bgp": 179, "chargen": 19, "cmd": 514, "daytime": 13, "discard": 9, "domain": 53, "echo": 7, "exec": 512,
        "finger": 79, "ftp": 21, "ftp-data": 20, "gopher": 70, "hostname": 101, "ident": 113, "irc": 194,
        "klogin": 543, "kshell": 544, "login": 513, "lpd": 515, "nntp": 119, "pim-auto-rp": 496, "pop2": 109,
        "pop3": 110, "smtp": 25, "sunrpc": 111, "tacacs": 49, "talk": 517, "telnet": 23, "time": 37, "uucp": 540,
        "whois": 43, "www": 80, "biff": 512, "bootpc": 68, "bootps": 67, "dnsix": 195, "isakmp": 500,
        "mobile-ip": 434, "nameserver": 42, "netbios-dgm": 138, "netbios-ns": 137, "netbios-ss": 139,
        "non500-isakmp": 4500, "ntp": 123, "rip": 520, "snmp": 161, "snmptrap": 162, "syslog": 514, "tftp": 69,
        "who": 513, "xdmcp": 177,
    ]

    /// Options that only describe the entry (logging, counters) or decide no TCP/UDP reply.
    static let ignored: Set<String> = ["log", "log-input", "reflect", "remark"]

    /// `words`: the entry from `permit`/`deny` on (a sequence number removed).
    mutating func parse(_ entryWords: [String], label: String) throws(FirewallFileError) -> FirewallRule {
        words = entryWords
        position = 0
        let actionWord = next() ?? ""
        let action: FirewallRule.Action
        switch actionWord {
        case "permit": action = .accept
        case "deny": action = .drop
        default: throw fail("expected permit or deny, got '\(actionWord)'")
        }
        var rule = FirewallRule(label: label, action: action)
        rule.family = family
        if standard {
            try address(into: &rule, remote: true)
            try options(into: &rule, proto: nil)
            return rule
        }
        guard let protoWord = next() else { throw fail("expected a protocol (ip, tcp, udp, icmp or a number) after \(actionWord)") }
        var proto: IPProtocol?
        if protoWord == "object-group" {
            rule.unevaluated.append("protocol object-group \(next() ?? "")")
        } else if protoWord == "icmp", family == .ipv6 {
            proto = .icmpv6
        } else if let known = Self.protocols[protoWord] {
            proto = known
        } else if let number = UInt8(protoWord) {
            proto = IPProtocol(rawValue: number)
        } else {
            throw fail("expected a protocol (ip, tcp, udp, icmp, gre, esp, sctp or a number), got '\(protoWord)'")
        }
        if let proto { rule.protocols = [proto] }
        try address(into: &rule, remote: true)
        let carriesPorts = proto == .tcp || proto == .udp || proto == .sctp
        if carriesPorts { rule.remotePorts = try ports() }
        try address(into: &rule, remote: false)
        if carriesPorts { rule.localPorts = try ports() }
        try options(into: &rule, proto: proto)
        return rule
    }

    private mutating func next() -> String? {
        guard position < words.count else { return nil }
        defer { position += 1 }
        return words[position]
    }

    private func peek() -> String? { position < words.count ? words[position] : nil }

    /// `any`, `host A`, `A WILDCARD` (IPv4), `A/LEN` (IPv6), `object-group NAME`;
    /// a standard list's bare `A` is a host.
    private mutating func address(into rule: inout FirewallRule, remote: Bool) throws(FirewallFileError) {
        let side = remote ? "source" : "destination"
        guard let word = next() else { throw fail("expected the \(side) (any, host ADDRESS or ADDRESS WILDCARD)") }
        var network: IPNetwork?
        switch word {
        case "any", "any4", "any6":
            return
        case "host":
            guard let text = next(), let host = IPNetwork.lenient(text), !text.contains("/") else {
                throw fail("expected an address after host")
            }
            network = host
        case "object-group", "addrgroup":
            rule.unevaluated.append("\(side) object-group \(next() ?? "") (its members are not in the file)")
            return
        default:
            if word.contains("/") {
                guard let parsed = IPNetwork.lenient(word) else { throw fail("expected a prefix such as 2001:db8::/32, got '\(word)'") }
                network = parsed
            } else {
                guard let address = IPAddress(word) else {
                    throw fail("expected the \(side) (any, host ADDRESS or ADDRESS WILDCARD), got '\(word)'")
                }
                if let wildcardText = peek(), let wildcard = IPAddress(wildcardText), wildcard.family == .ipv4, address.family == .ipv4 {
                    _ = next()
                    guard let length = Self.prefixLength(wildcard: wildcardText) else {
                        rule.unevaluated.append("\(side) \(word) \(wildcardText) (a wildcard that is not a prefix)")
                        return
                    }
                    network = IPNetwork.lenient("\(word)/\(length)")
                } else if standard {
                    network = IPNetwork.lenient(word)
                } else {
                    throw fail("expected a wildcard mask after \(word) (e.g. \(word) 0.0.0.255), or host \(word)")
                }
            }
        }
        guard let network else { return }
        guard network.address.family == family else {
            throw fail("\(network) is not an \(family) address, in an \(family) access list")
        }
        if remote { rule.remoteNetworks = [network] } else { rule.localNetworks = [network] }
    }

    /// `0.0.0.255` → 24; nil for a wildcard whose set bits are not the low ones.
    static func prefixLength(wildcard: String) -> Int? {
        let parts = wildcard.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 <= 255 }) else { return nil }
        let bits = parts.reduce(UInt32(0)) { $0 << 8 | $1 }
        // The set bits must be contiguous from the bottom: bits + 1 is a power of two.
        guard bits & (bits &+ 1) == 0 else { return nil }
        return bits.leadingZeroBitCount
    }

    /// `eq P [P...]`, `neq P`, `lt P`, `gt P`, `range A B`; nil when none follows.
    private mutating func ports() throws(FirewallFileError) -> PortRangeSet? {
        guard let op = peek(), ["eq", "neq", "lt", "gt", "range"].contains(op) else { return nil }
        _ = next()
        func port(_ word: String?) throws(FirewallFileError) -> UInt16 {
            guard let word else { throw fail("expected a port after \(op)") }
            if let number = UInt16(word) { return number }
            if let named = Self.portNames[word] { return named }
            throw fail("expected a port number or name after \(op), got '\(word)'")
        }
        let all = PortRangeSet([PortRange(low: 0, high: 65535)!])
        switch op {
        case "eq":
            var ports = [try port(next())]
            while let more = peek(), UInt16(more) != nil || Self.portNames[more] != nil { ports.append(try port(next())) }
            return PortRangeSet(ports.map { PortRange(low: $0, high: $0)! })
        case "neq":
            let excluded = try port(next())
            return all.subtracting(PortRangeSet([PortRange(low: excluded, high: excluded)!]))
        case "lt":
            let bound = try port(next())
            return bound == 0 ? .empty : PortRangeSet([PortRange(low: 0, high: bound - 1)!])
        case "gt":
            let bound = try port(next())
            return bound == 65535 ? .empty : PortRangeSet([PortRange(low: bound + 1, high: 65535)!])
        default:
            let low = try port(next())
            let high = try port(next())
            guard let range = PortRange(low: low, high: high) else {
                throw fail("expected range LOW HIGH with LOW <= HIGH, got \(low) \(high)")
            }
            return PortRangeSet([range])
        }
    }

    /// What follows the addresses and ports.
    private mutating func options(into rule: inout FirewallRule, proto: IPProtocol?) throws(FirewallFileError) {
        var flagTerms: [[TCPFlagMatch.Term]] = []
        while let word = next() {
            switch word {
            case "established":
                guard proto == .tcp else { throw fail("established applies to tcp entries only") }
                rule.tcpFlags = TCPFlagMatch(robot: "ack|rst")
            case "fragments":
                rule.conditions.append(.never("fragments (a reply packet is not a fragment)"))
            case "log", "log-input":
                // An optional tag follows in parentheses or as a word: `log (tag)`.
                if let tag = peek(), tag.hasPrefix("(") { _ = next() }
            case "reflect":
                _ = next()
            case "match-any", "match-all":
                var terms: [TCPFlagMatch.Term] = []
                while let flag = peek(), flag.hasPrefix("+") || flag.hasPrefix("-"), let named = TCPFlags.named(String(flag.dropFirst())) {
                    _ = next()
                    terms.append(.init(flag: named, negated: flag.hasPrefix("-")))
                }
                guard proto == .tcp, !terms.isEmpty else { throw fail("expected +FLAG/-FLAG after \(word), in a tcp entry") }
                flagTerms = word == "match-all" ? [terms] : terms.map { [$0] }
            case "ack", "fin", "psh", "rst", "syn", "urg":
                guard proto == .tcp, let flag = TCPFlags.named(word) else { throw fail("\(word) applies to tcp entries only") }
                flagTerms =
                    flagTerms.isEmpty ? [[.init(flag: flag, negated: false)]] : flagTerms.map { $0 + [.init(flag: flag, negated: false)] }
            case "dscp", "precedence", "tos", "time-range", "option", "ttl", "flow-label", "routing-type", "dest-option-type":
                var value = next() ?? ""
                if word == "ttl", ["eq", "neq", "lt", "gt"].contains(value) { value += " " + (next() ?? "") }
                if word == "ttl", value.hasPrefix("range") { value += " " + (next() ?? "") + " " + (next() ?? "") }
                rule.unevaluated.append("\(word) \(value)")
            case "sequence":
                _ = next()
            default:
                if proto == .icmp || proto == .icmpv6 {
                    rule.conditions.append(.icmpType(word))
                    continue
                }
                throw fail("unknown option '\(word)' in this access-list entry")
            }
        }
        if !flagTerms.isEmpty { rule.tcpFlags = TCPFlagMatch(alternatives: flagTerms) }
    }
}
