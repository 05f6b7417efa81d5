import Conntrack
import Policy

/// Turns one iptables match atom (`-s 10.0.0.0/8`, `-m conntrack --ctstate
/// RELATED,ESTABLISHED`, `-m rt --rt-type 0`...) into conditions of a
/// `FirewallRule`, evaluated for a reply packet (ReplyCondition). A module
/// or option it does not model makes the rule's outcome unknown; so does a
/// module whose answer is not in iptables-save (ipset members, `recent` lists).
struct IptablesMatchReader {
    var file: String
    var line: Int

    struct Option {
        var negated: Bool
        var name: String
        var values: [String]
    }

    /// Applies one atom; false when some of it is not modelled (the caller records the atom as not evaluated).
    func apply(_ atom: String, to rule: inout FirewallRule) throws(FirewallFileError) -> Bool {
        let words: [String]
        do { words = try IptablesRuleTokens.split(atom) } catch { return false }
        guard let first = words.first else { return true }
        if first == "-m" || first == "--match" {
            guard words.count >= 2 else { return false }
            return try module(words[1], Self.options(Array(words.dropFirst(2))), into: &rule)
        }
        // `-p tcp --dport 80` without `-m tcp` (iptables loads it implicitly; iptables-save writes it).
        if first.hasPrefix("--") || (first == "!" && words.count > 1 && words[1].hasPrefix("--")) {
            let implicit = rule.protocols.flatMap { $0.count == 1 && !rule.protocolsNegated ? $0.first?.name : nil } ?? "tcp"
            return try module(implicit, Self.options(words), into: &rule)
        }
        // A main option, possibly negated: `! -s 10.0.0.0/8`.
        let negated = first == "!"
        let option = negated ? (words.count > 1 ? words[1] : "") : first
        let value = words.count > (negated ? 2 : 1) ? words[negated ? 2 : 1] : ""
        switch option {
        case "-s", "--source":
            rule.remoteNetworks = try networks(value)
            rule.remoteNegated = negated
        case "-d", "--destination":
            rule.localNetworks = try networks(value)
            rule.localNegated = negated
        case "-i", "--in-interface", "-o", "--out-interface":
            let direction = option == "-i" || option == "--in-interface" ? "in" : "out"
            rule.interfaces.append("\(direction) \(negated ? "not " : "")\(value)")
        default:
            return false
        }
        return true
    }

    /// `--opt a b ! --other c` into options.
    static func options(_ words: [String]) -> [Option] {
        var options: [Option] = []
        var negateNext = false
        for word in words {
            if word == "!" {
                negateNext = true
                continue
            }
            if word.hasPrefix("--") {
                options.append(Option(negated: negateNext, name: word, values: []))
                negateNext = false
            } else if !options.isEmpty {
                options[options.count - 1].values.append(word)
            }
        }
        return options
    }

    private func module(_ name: String, _ options: [Option], into rule: inout FirewallRule) throws(FirewallFileError) -> Bool {
        let atom = "-m \(name)" + options.map { " " + ($0.negated ? "! " : "") + ([$0.name] + $0.values).joined(separator: " ") }.joined()
        var understood = true
        func value(_ option: Option) -> String { option.values.first ?? "" }
        switch name {
        case "tcp", "udp", "sctp", "dccp", "udplite", "multiport":
            for option in options {
                switch option.name {
                case "--dport", "--dports", "--destination-port", "--destination-ports":
                    let set = try ports(value(option))
                    rule.localPorts = option.negated ? set.complement : set
                case "--sport", "--sports", "--source-port", "--source-ports":
                    let set = try ports(value(option))
                    rule.remotePorts = option.negated ? set.complement : set
                case "--ports" where name == "multiport":
                    let set = try ports(value(option))
                    // `! --ports P`: neither port in P, which one set cannot say.
                    if option.negated { understood = false } else { rule.eitherPorts = set }
                case "--tcp-flags" where name == "tcp":
                    guard option.values.count == 2, let match = TCPFlagMatch(iptablesMask: option.values[0], set: option.values[1]) else {
                        understood = false
                        continue
                    }
                    rule.tcpFlags = option.negated ? match.negated : match
                case "--syn" where name == "tcp":
                    let match = TCPFlagMatch(iptablesMask: "SYN,RST,ACK,FIN", set: "SYN")!
                    rule.tcpFlags = option.negated ? match.negated : match
                default: understood = false
                }
            }
        case "conntrack", "state":
            for option in options {
                let items = Set(value(option).lowercased().split(separator: ",").map(String.init))
                switch option.name {
                case "--ctstate", "--state":
                    rule.conditions.append(.connectionState(items, negated: option.negated))
                case "--ctstatus":
                    rule.conditions.append(
                        .connectionStatus(
                            Set(items.map { $0.replacingAll("_", with: "-") }),
                            negated: option.negated, all: false))
                case "--ctdir":
                    // A reply travels in the connection's REPLY direction.
                    if (value(option).uppercased() == "REPLY") == option.negated {
                        rule.conditions.append(.never("\(atom): a reply travels in the REPLY direction"))
                    }
                case "--ctproto":
                    guard let proto = ProtocolMatch.parseProtocol(value(option)) else {
                        understood = false
                        continue
                    }
                    rule.conditions.append(.protocolIs(proto, negated: option.negated))
                default: understood = false
                }
            }
        case "limit":
            let rate = options.first { $0.name == "--limit" }.map(value) ?? "3/hour"
            let burst = options.first { $0.name == "--limit-burst" }.map { " burst \(value($0))" } ?? ""
            rule.rateLimit = .init(text: "limit \(rate)\(burst)")
        case "hashlimit":
            if let upto = options.first(where: { $0.name == "--hashlimit-upto" || $0.name == "--hashlimit" }) {
                rule.rateLimit = .init(text: "hashlimit \(value(upto))")
            } else if let above = options.first(where: { $0.name == "--hashlimit-above" }) {
                rule.rateLimit = .init(text: "hashlimit above \(value(above))", over: true)
            } else {
                understood = false
            }
        case "addrtype":
            for option in options {
                let types = Set(value(option).uppercased().split(separator: ",").map(String.init))
                switch option.name {
                case "--src-type": rule.conditions.append(.addressType(ofDestination: false, types: types, negated: option.negated))
                case "--dst-type": rule.conditions.append(.addressType(ofDestination: true, types: types, negated: option.negated))
                case "--limit-iface-in", "--limit-iface-out": break
                default: understood = false
                }
            }
        case "comment":
            break
        case "icmp", "icmp6":
            rule.conditions.append(.icmpType(atom))
        case "iprange":
            for option in options {
                guard let networks = Self.range(value(option)) else {
                    throw FirewallFileError(
                        path: file, location: "line \(line)",
                        message: "expected an address range like 10.0.0.1-10.0.0.9, got '\(value(option))'")
                }
                switch option.name {
                case "--src-range":
                    rule.remoteNetworks = networks
                    rule.remoteNegated = option.negated
                case "--dst-range":
                    rule.localNetworks = networks
                    rule.localNegated = option.negated
                default: understood = false
                }
            }
        case "mark", "connmark":
            guard let option = options.first(where: { $0.name == "--mark" }), options.count == 1,
                let (mark, mask) = Self.mark(value(option))
            else {
                understood = false
                break
            }
            rule.conditions.append(.mark(value: mark, mask: mask, negated: option.negated, text: atom))
        case "pkttype":
            guard let option = options.first(where: { $0.name == "--pkt-type" }) else {
                understood = false
                break
            }
            rule.conditions.append(.packetType([value(option).lowercased()], negated: option.negated))
        case "rt":
            // ip6t_rt matches only packets that carry a routing header; a reply carries none.
            rule.conditions.append(.never("\(atom): a reply has no IPv6 routing header"))
        case "rpfilter":
            // The reply comes in on the interface its source routes through
            // (it left that way): the reverse-path check passes.
            if options.contains(where: { $0.name == "--invert" }) {
                rule.conditions.append(.never("\(atom): a reply passes the reverse-path check"))
            }
        case "recent":
            // `--set` adds the source and matches; the checks depend on the
            // list's state, which no export holds.
            let checks = options.contains { ["--rcheck", "--update", "--remove"].contains($0.name) }
            if checks || options.contains(where: { $0.name == "--set" && $0.negated }) {
                rule.conditions.append(.unknown("\(atom) (the recent list's state is not in iptables-save)"))
            }
        case "set":
            let name = options.first { $0.name == "--match-set" }.map(value) ?? "?"
            rule.conditions.append(.unknown("\(atom) (ipset \(name): its members are not in iptables-save)"))
        default:
            understood = false
        }
        return understood
    }

    private func networks(_ text: String) throws(FirewallFileError) -> [IPNetwork] {
        var out: [IPNetwork] = []
        for piece in text.split(separator: ",") {
            guard let network = IPNetwork.lenient(String(piece)) else {
                throw FirewallFileError(path: file, location: "line \(line)", message: "expected an address or CIDR, got '\(piece)'")
            }
            out.append(network)
        }
        return out
    }

    /// `80`, `1024:65535`, `:1023`, `80,443,8000:9000`.
    func ports(_ text: String) throws(FirewallFileError) -> PortRangeSet {
        var ranges: [PortRange] = []
        for piece in text.split(separator: ",") {
            let bounds = piece.split(separator: ":", omittingEmptySubsequences: false)
            let low = bounds[0].isEmpty ? 0 : UInt16(bounds[0])
            let high = bounds.count > 1 ? (bounds[1].isEmpty ? 65535 : UInt16(bounds[1])) : low
            guard bounds.count <= 2, let low, let high, let range = PortRange(low: min(low, high), high: max(low, high)) else {
                throw FirewallFileError(
                    path: file, location: "line \(line)", message: "expected ports like 80, 1024:65535 or 80,443, got '\(text)'")
            }
            ranges.append(range)
        }
        return PortRangeSet(ranges)
    }

    /// `10.0.0.1-10.0.0.9` as the networks that cover exactly it.
    static func range(_ text: String) -> [IPNetwork]? {
        let bounds = text.split(separator: "-").map { IPAddress(String($0)) }
        guard bounds.count == 2, let first = bounds[0], let last = bounds[1], first.family == last.family, first <= last else { return nil }
        return AddressSegments.networks(from: first, to: last)
    }

    /// `0x1`, `0x10/0xff`, `16`.
    static func mark(_ text: String) -> (UInt32, UInt32)? {
        func number(_ part: Substring) -> UInt32? {
            part.hasPrefix("0x") ? UInt32(part.dropFirst(2), radix: 16) : UInt32(part)
        }
        let parts = text.split(separator: "/")
        guard let value = number(parts[0]) else { return nil }
        let mask = parts.count > 1 ? number(parts[1]) : UInt32.max
        guard let mask, parts.count <= 2 else { return nil }
        return (value, mask)
    }
}
