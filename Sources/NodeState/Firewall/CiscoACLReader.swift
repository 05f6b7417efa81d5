import Conntrack
import Policy

/// Reads Cisco IOS access lists from configuration text (`show
/// running-config`, or the ACL part of it) or `show access-lists` output:
/// named lists (`ip access-list extended NAME` and its entries, `ipv6
/// access-list NAME`), numbered ones (`access-list 101 permit tcp any host
/// 198.51.100.2 range 32768 65535`), remarks. Other configuration lines are
/// ignored.
///
/// ACLs are stateless: first matching entry wins, and every list ends in an
/// implicit deny. The lists judged are those applied inbound (`ip
/// access-group NAME in`, `ipv6 traffic-filter NAME in`); without such a
/// line, the file's only list (one per family). A family no list filters is
/// not filtered.
struct CiscoACLReader {
    var file: String

    private struct AccessList {
        var name: String
        var family: IPAddress.Family
        var standard: Bool
        var line: Int
        var rules: [FirewallRule] = []
    }

    /// Whether the text holds a Cisco access list (for detection).
    static func recognizes(_ text: String) -> Bool {
        text.split(separator: "\n").contains { raw in
            let line = raw.trimmingSpaces
            return line.hasPrefix("ip access-list ") || line.hasPrefix("ipv6 access-list ") || line.hasPrefix("access-list ")
                || line.hasPrefix("Extended IP access list ") || line.hasPrefix("Standard IP access list ")
                || line.hasPrefix("IPv6 access list ")
        }
    }

    func read(_ text: String) throws(FirewallFileError) -> (FirewallPolicy.Source, [FirewallStage]) {
        var lists: [String: AccessList] = [:]
        var order: [String] = []
        var current: String?
        var inbound: [(name: String, family: IPAddress.Family)] = []
        var entries = 0

        func open(_ name: String, family: IPAddress.Family, standard: Bool, line: Int) {
            if lists[name] == nil {
                lists[name] = AccessList(name: name, family: family, standard: standard, line: line)
                order.append(name)
            }
        }

        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            var line = raw.trimmingSpaces
            // `show access-lists` counters: `10 permit tcp any any established (12 matches)`.
            if line.hasSuffix("match)") || line.hasSuffix("matches)"), let open = line.lastIndex(of: "(") {
                line = String(line[..<open]).trimmingSpaces
            }
            let words = line.split(separator: " ").map(String.init)
            guard let first = words.first, !first.hasPrefix("!"), !first.hasPrefix("#") else { continue }
            let indented = raw.first == " " || raw.first == "\t"

            if words.count >= 4, first == "ip", words[1] == "access-list", ["extended", "standard"].contains(words[2]) {
                open(words[3], family: .ipv4, standard: words[2] == "standard", line: number)
                current = words[3]
                continue
            }
            if words.count >= 3, first == "ipv6", words[1] == "access-list" {
                open(words[2], family: .ipv6, standard: false, line: number)
                current = words[2]
                continue
            }
            if words.count >= 5, ["Extended", "Standard"].contains(first), words[1] == "IP", words[2] == "access" {
                open(words[4], family: .ipv4, standard: first == "Standard", line: number)
                current = words[4]
                continue
            }
            if words.count >= 4, first == "IPv6", words[1] == "access", words[2] == "list" {
                open(words[3], family: .ipv6, standard: false, line: number)
                current = words[3]
                continue
            }
            if first == "access-list", words.count >= 3 {
                current = nil
                let name = words[1]
                var rest = Array(words.dropFirst(2))
                if rest.first == "remark" { continue }
                if rest.first == "dynamic" {
                    throw FirewallFileError(
                        path: file, location: "line \(number)", message: "dynamic (lock-and-key) access-list entries are not supported")
                }
                guard let numbered = Int(name) else {
                    throw FirewallFileError(
                        path: file, location: "line \(number)",
                        message:
                            "expected a numbered access list (access-list 101 permit ...), got '\(name)'; named lists are written 'ip access-list extended NAME'"
                    )
                }
                let standard = (1...99).contains(numbered) || (1300...1999).contains(numbered)
                guard standard || (100...199).contains(numbered) || (2000...2699).contains(numbered) else {
                    throw FirewallFileError(
                        path: file, location: "line \(number)",
                        message: "access list \(numbered) is not an IP access list (1-199, 1300-2699)")
                }
                open(name, family: .ipv4, standard: standard, line: number)
                if rest.first == "seq" || rest.first == "sequence" { rest.removeFirst(min(2, rest.count)) }
                try append(rest, to: &lists[name]!, line: number)
                entries += 1
                continue
            }
            if first == "interface" {
                current = nil
                continue
            }
            if words.count >= 3, (first == "ip" && words[1] == "access-group") || (first == "ipv6" && words[1] == "traffic-filter") {
                if words.last == "in" { inbound.append((words[2], first == "ip" ? .ipv4 : .ipv6)) }
                continue
            }
            if let name = current {
                var rest = words
                if let sequence = Int(first), sequence >= 0 { rest.removeFirst() }
                if rest.first == "sequence", rest.count >= 2 { rest.removeFirst(2) }
                switch rest.first {
                case "remark"?, "statistics"?, "description"?:
                    continue
                case "permit"?, "deny"?:
                    try append(rest, to: &lists[name]!, line: number)
                    entries += 1
                    continue
                case "evaluate"?:
                    // A reflexive list: admits the replies of sessions an outbound `reflect` entry saw.
                    var rule = FirewallRule(
                        label: "access list \(name) evaluate \(rest.dropFirst().first ?? "") (line \(number))", action: .accept)
                    rule.family = lists[name]!.family
                    rule.unevaluated = ["evaluate \(rest.dropFirst().first ?? "") (a reflexive list: its sessions are not in the file)"]
                    lists[name]!.rules.append(rule)
                    entries += 1
                    continue
                default:
                    if indented {
                        throw FirewallFileError(
                            path: file, location: "line \(number)",
                            message: "expected permit, deny or remark in access list \(name), got '\(line)'")
                    }
                    current = nil
                }
            }
        }

        guard !order.isEmpty else {
            throw FirewallFileError(path: file, message: "no access list (ip access-list extended NAME, access-list 101 ...) in the file")
        }
        var judged: [AccessList] = []
        var notes: [String] = []
        if inbound.isEmpty {
            for family in [IPAddress.Family.ipv4, .ipv6] {
                let candidates = order.compactMap { lists[$0] }.filter { $0.family == family }
                guard candidates.count <= 1 else {
                    throw FirewallFileError(
                        path: file,
                        message:
                            "several \(family) access lists (\(candidates.map(\.name).joined(separator: ", "))) and no '\(family == .ipv4 ? "ip access-group NAME in" : "ipv6 traffic-filter NAME in")': keep the one applied inbound on the interface replies arrive on, or its access-group line"
                    )
                }
                judged += candidates
            }
            notes.append(
                "judged: \(judged.map { "access list \($0.name)" }.joined(separator: ", ")) (the file's only list per family, taken as applied inbound)"
            )
        } else {
            for (name, family) in inbound {
                guard let list = lists[name] else {
                    notes.append("access list \(name) is applied inbound but not defined in the file: IOS permits everything there")
                    continue
                }
                guard list.family == family else {
                    throw FirewallFileError(
                        path: file, message: "access list \(name) is applied to \(family) traffic but is an \(list.family) list")
                }
                if !judged.contains(where: { $0.name == name }) { judged.append(list) }
            }
            if judged.count > 1 {
                notes.append(
                    "\(judged.count) access lists applied inbound: each is judged as one a reply must pass (keep only the upstream interface's list for a closer verdict)"
                )
            }
        }
        var stages: [FirewallStage] = []
        for list in judged {
            // An empty list permits everything; otherwise the implicit deny ends it.
            let noMatch: FirewallChain.NoMatch =
                list.rules.isEmpty
                ? .init(accepts: true, label: "access list \(list.name) has no entries: permits everything")
                : .init(accepts: false, label: "access list \(list.name): no entry matches: denied (implicit deny at the end)")
            let chain = FirewallChain(name: list.name, rules: list.rules, noMatch: noMatch)
            stages.append(FirewallStage(origin: file, family: list.family, entry: chain))
        }
        for family in [IPAddress.Family.ipv4, .ipv6] where !judged.contains(where: { $0.family == family }) {
            notes.append("no \(family) access list applied inbound: \(family) replies are not filtered")
        }
        let source = FirewallPolicy.Source(path: file, format: .ciscoACL, rules: entries, notes: notes)
        return (source, stages)
    }

    private func append(_ words: [String], to list: inout AccessList, line: Int) throws(FirewallFileError) {
        let number = list.rules.count + 1
        let label = "access list \(list.name) entry #\(number) (line \(line))"
        var parser = CiscoACLEntryParser(file: file, line: line, family: list.family, standard: list.standard)
        list.rules.append(try parser.parse(words, label: label))
    }
}
