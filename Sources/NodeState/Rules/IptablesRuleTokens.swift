import Conntrack
import Policy

/// One iptables rule's options (after `-A CHAIN`), sorted into the match,
/// the protocol, and the target with its options.
struct IptablesRuleTokens: Sendable {
    /// The match: protocols, conditions, addresses, mark, out-interface.
    var scope = RuleScope()
    var comment: String?
    /// The match as iptables syntax without `-p` (and its implicit `-m tcp`
    /// when it has no options), for writing the fixed rule.
    var matchText: String = ""
    /// `-j`/`-g` target.
    var target: String?
    var targetOptions: [String] = []

    init(tokens: [String]) {
        var index = 0
        var matchParts: [String] = []
        func values(from start: Int) -> [String] {
            var out: [String] = []
            var i = start
            while i < tokens.count, !tokens[i].hasPrefix("-") || Int(tokens[i]) != nil, tokens[i] != "!" {
                out.append(tokens[i])
                i += 1
            }
            return out
        }
        while index < tokens.count {
            var negated = false
            if tokens[index] == "!" {
                negated = true
                index += 1
                guard index < tokens.count else { break }
            }
            let option = tokens[index]
            let args = values(from: index + 1)
            index += 1 + args.count
            let bang = negated ? "! " : ""
            let value = args.first ?? ""
            switch option {
            case "-j", "--jump", "-g", "--goto":
                target = value
                targetOptions = Array(args.dropFirst()) + Array(tokens[index...])
                index = tokens.count
            case "-p", "--protocol":
                let name = value.lowercased()
                if name == "all" || name == "0" {
                    scope.protocols = negated ? .only([]) : .all
                } else if let proto = ProtocolMatch.parseProtocol(name) {
                    scope.protocols = negated ? .any(except: [proto]) : .only([proto])
                }
            case "-s", "--source", "-d", "--destination", "-o", "--out-interface", "-i", "--in-interface":
                let atom = "\(bang)\(option) \(value)"
                scope.conditions.append(atom)
                matchParts.append(atom)
                switch option {
                case "-s", "--source": scope.source = bang + value
                case "-d", "--destination": scope.destination = bang + value
                case "-o", "--out-interface": scope.outInterface = bang + value
                default: break
                }
            case "-m", "--match":
                // A module and every option up to the next main option form one atom.
                var atom = "-m \(value)"
                var moduleComment: String?
                while index < tokens.count, tokens[index].hasPrefix("--") || tokens[index] == "!" {
                    var optionNegated = false
                    if tokens[index] == "!" {
                        optionNegated = true
                        index += 1
                        if index >= tokens.count { break }
                    }
                    guard tokens[index].hasPrefix("--") else {
                        index -= optionNegated ? 1 : 0
                        break
                    }
                    let moduleOption = tokens[index]
                    let moduleArgs = values(from: index + 1)
                    index += 1 + moduleArgs.count
                    if value == "comment", moduleOption == "--comment" {
                        moduleComment = moduleArgs.joined(separator: " ")
                        continue
                    }
                    if value == "mark", moduleOption == "--mark" {
                        scope.mark = (optionNegated ? "! " : "") + moduleArgs.joined(separator: " ")
                    }
                    atom +=
                        (optionNegated ? " ! " : " ") + ([moduleOption] + moduleArgs.map(IptablesRuleTokens.quoted)).joined(separator: " ")
                }
                if let moduleComment {
                    comment = moduleComment
                    continue
                }
                // `-m tcp` alone only restates `-p tcp`.
                if ["-m tcp", "-m udp", "-m sctp", "-m dccp"].contains(atom) { continue }
                scope.conditions.append(atom)
                matchParts.append(atom)
            default:
                let atom = ([bang + option] + args.map(IptablesRuleTokens.quoted)).joined(separator: " ")
                scope.conditions.append(atom)
                matchParts.append(atom)
            }
        }
        matchText = matchParts.joined(separator: " ")
    }

    /// How the target picks ports (MASQUERADE/SNAT options).
    var ports: PortBehaviour {
        var behaviour = PortBehaviour()
        var index = 0
        while index < targetOptions.count {
            let option = targetOptions[index]
            let value = index + 1 < targetOptions.count ? targetOptions[index + 1] : ""
            switch option {
            case "--random": behaviour.random = true
            case "--random-fully": behaviour.randomFully = true
            case "--persistent": behaviour.persistent = true
            case "--to-ports", "--to-port":
                behaviour.range = IptablesRuleTokens.portRange(value)
                index += 1
            case "--to-source", "--to":
                // ADDR[-ADDR][:PORT[-PORT]]; IPv6 as [ADDR]:PORT.
                if behaviour.range == nil, let ports = IptablesRuleTokens.portsOfNATAddress(value) {
                    behaviour.range = IptablesRuleTokens.portRange(ports)
                }
                index += 1
            default: break
            }
            index += 1
        }
        return behaviour
    }

    /// The address part of SNAT `--to-source`.
    var snatAddress: String? {
        guard let index = targetOptions.firstIndex(where: { $0 == "--to-source" || $0 == "--to" }),
            index + 1 < targetOptions.count
        else { return nil }
        let value = targetOptions[index + 1]
        if value.hasPrefix("["), let close = value.firstIndex(of: "]") {
            return String(value[value.index(after: value.startIndex)..<close])
        }
        if value.filter({ $0 == ":" }).count == 1 { return String(value.split(separator: ":")[0]) }
        return value
    }

    static func portsOfNATAddress(_ value: String) -> String? {
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            let rest = value[value.index(after: close)...]
            return rest.hasPrefix(":") ? String(rest.dropFirst()) : nil
        }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count == 2 ? String(parts[1]) : nil
    }

    /// `A`, `A-B` or `A:B`.
    static func portRange(_ text: String) -> PortRange? {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == ":" }).compactMap { UInt16($0) }
        switch parts.count {
        case 1: return PortRange(low: parts[0], high: parts[0])
        case 2: return PortRange(low: min(parts[0], parts[1]), high: max(parts[0], parts[1]))
        default: return nil
        }
    }

    static func quoted(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" }) || value.isEmpty
            ? "\"" + value.replacingAll("\"", with: "\\\"") + "\"" : value
    }

    struct SplitError: Error { var reason: String }

    /// Splits a rule line like iptables-save quotes it: double quotes group,
    /// backslash escapes the next character inside them.
    static func split(_ line: String) throws(SplitError) -> [String] {
        var tokens: [String] = []
        var current = ""
        var inQuotes = false
        var hasToken = false
        var escaping = false
        for character in line {
            if escaping {
                current.append(character)
                escaping = false
                continue
            }
            if inQuotes {
                switch character {
                case "\\": escaping = true
                case "\"": inQuotes = false
                default: current.append(character)
                }
                continue
            }
            switch character {
            case "\"":
                inQuotes = true
                hasToken = true
            case " ", "\t":
                if hasToken {
                    tokens.append(current)
                    current = ""
                    hasToken = false
                }
            default:
                current.append(character)
                hasToken = true
            }
        }
        if inQuotes { throw SplitError(reason: "unterminated quote") }
        if hasToken { tokens.append(current) }
        return tokens
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for character in self { if character == target { out += replacement } else { out.append(character) } }
        return out
    }
}
