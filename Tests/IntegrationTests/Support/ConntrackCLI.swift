import Foundation

/// The `conntrack` CLI's own view of a namespace's table: the oracle that
/// differential tests compare ctaudit against.
struct ConntrackCLIEntry: Hashable, CustomStringConvertible {
    var family: String  // ipv4 | ipv6
    var proto: String  // tcp | udp | ...
    var state: String?  // SYN_SENT, ESTABLISHED, ... (TCP/SCTP/DCCP)
    var unreplied: Bool
    var original: [String: String]  // src dst sport dport
    var reply: [String: String]

    var description: String {
        "\(family) \(proto) \(original) -> \(reply)\(unreplied ? " [UNREPLIED]" : "")"
    }

    /// Translated source port: the reply tuple's destination port.
    var translatedPort: Int? { reply["dport"].flatMap(Int.init) }
    var originalSourcePort: Int? { original["sport"].flatMap(Int.init) }

    /// Parses `conntrack -L -o extended` lines (both families).
    static func parse(_ text: String) -> [ConntrackCLIEntry] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard fields.count > 6, fields[0] == "ipv4" || fields[0] == "ipv6" else { return nil }
            var entry = ConntrackCLIEntry(family: fields[0], proto: fields[2], state: nil, unreplied: false, original: [:], reply: [:])
            var seenSrc = 0
            for field in fields[5...] {
                if field == "[UNREPLIED]" {
                    entry.unreplied = true
                    continue
                }
                if let eq = field.firstIndex(of: "=") {
                    let key = String(field[..<eq])
                    let value = String(field[field.index(after: eq)...])
                    if key == "src" { seenSrc += 1 }
                    if seenSrc == 1 && entry.original[key] == nil {
                        entry.original[key] = value
                    } else if seenSrc == 2 && entry.reply[key] == nil {
                        entry.reply[key] = value
                    }
                } else if field.uppercased() == field, field.first?.isLetter == true, !field.hasPrefix("[") {
                    entry.state = entry.state ?? field
                }
            }
            return entry
        }
    }

    /// Every entry in a namespace, IPv4 and IPv6; with `sourceNATed` only
    /// those conntrack(8) itself lists for `--src-nat`.
    static func list(netns: String, sourceNATed: Bool = false) throws -> [ConntrackCLIEntry] {
        var entries: [ConntrackCLIEntry] = []
        for family in ["ipv4", "ipv6"] {
            let filter = sourceNATed ? " --src-nat" : ""
            let result = try Shell.sh("ip netns exec \(netns) conntrack -L -o extended -f \(family)\(filter) 2>/dev/null")
            entries += parse(result.stdout)
        }
        return entries
    }
}
