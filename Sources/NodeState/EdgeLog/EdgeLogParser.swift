public import Conntrack

/// Reads the two kinds of line an operator has from the edge:
///
/// - `tcpdump -n` output: `12:00:00.1 IP 198.51.100.2.2589 > 203.0.113.10.8080:
///   Flags [S], ...` (also `IP6`, `-e`, `-i any` and `-v` continuation lines),
///   where the port follows the address after a final dot;
/// - the kernel's iptables/nft LOG lines: `... SRC=203.0.113.10 DST=198.51.100.2
///   ... PROTO=TCP SPT=8080 DPT=2589 ...` (as dmesg, journald or syslog show them).
///
/// Pure text: no line is fatal; one that names no packet with ports says why.
public enum EdgeLogParser {
    public static func parse(_ line: Substring) -> EdgeLogLine {
        if line.contains("SRC="), line.contains("DST=") { return parseLog(line) }
        return parseTcpdump(line)
    }

    public static func parse(_ line: String) -> EdgeLogLine { parse(Substring(line)) }

    // MARK: - tcpdump

    static func parseTcpdump(_ line: Substring) -> EdgeLogLine {
        let tokens = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let arrows = tokens.indices.filter { tokens[$0] == ">" && $0 > 0 && $0 + 1 < tokens.count }
        guard !arrows.isEmpty else {
            return .unparsed(
                reason: line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" })
                    ? "empty line" : "no 'SRC > DST' packet (tcpdump -n) nor SRC=/DST= (LOG)")
        }
        // `-e` puts the MAC addresses first: the packet is the first arrow between two ADDR.PORTs.
        var reason = ""
        for arrow in arrows {
            switch packet(tokens, arrow: arrow) {
            case .packet(let packet): return .packet(packet)
            case .unparsed(let why): reason = why
            }
        }
        return .unparsed(reason: reason)
    }

    private static func packet(_ tokens: [Substring], arrow: Int) -> EdgeLogLine {
        var destinationText = tokens[arrow + 1]
        if destinationText.hasSuffix(":") || destinationText.hasSuffix(",") { destinationText = destinationText.dropLast() }
        if IPAddress(String(tokens[arrow - 1])) != nil {
            return .unparsed(reason: "a packet without ports (ICMP and the like): nothing to trace")
        }
        guard let source = dottedEndpoint(tokens[arrow - 1]) else {
            return .unparsed(reason: "'\(tokens[arrow - 1])' is not ADDR.PORT (tcpdump -n prints addresses, not names; ICMP has no ports)")
        }
        guard let destination = dottedEndpoint(destinationText) else {
            return .unparsed(reason: "'\(destinationText)' is not ADDR.PORT (tcpdump -n prints addresses, not names; ICMP has no ports)")
        }
        let rest = tokens[(arrow + 2)...]
        var proto: IPProtocol?
        var flags: String?
        if let first = rest.first {
            if first == "Flags" {
                proto = .tcp
                if rest.count >= 2 {
                    var text = rest[rest.startIndex + 1]
                    if text.hasSuffix(",") { text = text.dropLast() }
                    flags = String(text)
                }
            } else if first.hasPrefix("UDP") {
                proto = .udp
            } else if first.lowercased().hasPrefix("sctp") {
                proto = .sctp
            }
        }
        // `-v` and `IP (... proto TCP (6) ...)` say the protocol before the packet.
        if proto == nil, let index = tokens.firstIndex(of: "proto"), index + 1 < tokens.count {
            proto = protocolName(tokens[index + 1])
        }
        return .packet(EdgePacket(proto: proto, source: source, destination: destination, format: "tcpdump", flags: flags))
    }

    /// tcpdump's `ADDR.PORT`: the port after the last dot (IPv4 and IPv6 alike).
    static func dottedEndpoint(_ token: Substring) -> Endpoint? {
        guard let dot = token.lastIndex(of: "."),
            let address = IPAddress(String(token[..<dot])),
            let port = Endpoint.port(token[token.index(after: dot)...])
        else { return nil }
        return Endpoint(address: address, port: port)
    }

    // MARK: - LOG

    static func parseLog(_ line: Substring) -> EdgeLogLine {
        var fields: [Substring: Substring] = [:]
        var words: [Substring] = []
        for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
            if let equals = token.firstIndex(of: "=") {
                let key = token[..<equals]
                // The first of a repeated key (LEN= is the IP length, then UDP's).
                if fields[key] == nil { fields[key] = token[token.index(after: equals)...] }
            } else {
                words.append(token)
            }
        }
        guard let sourceText = fields["SRC"], let source = IPAddress(String(sourceText)) else {
            return .unparsed(reason: "SRC= is not an IP address")
        }
        guard let destinationText = fields["DST"], let destination = IPAddress(String(destinationText)) else {
            return .unparsed(reason: "DST= is not an IP address")
        }
        guard let protoText = fields["PROTO"] else { return .unparsed(reason: "no PROTO=") }
        guard let proto = protocolName(protoText) else { return .unparsed(reason: "PROTO=\(protoText) is not a protocol ctaudit knows") }
        guard proto.carriesPorts else { return .unparsed(reason: "PROTO=\(protoText) has no ports") }
        guard let sport = fields["SPT"].flatMap(Endpoint.port), let dport = fields["DPT"].flatMap(Endpoint.port) else {
            return .unparsed(reason: "no SPT=/DPT= ports")
        }
        let flagWords = words.filter { ["SYN", "ACK", "FIN", "RST", "PSH", "URG"].contains($0) }
        return .packet(
            EdgePacket(
                proto: proto, source: Endpoint(address: source, port: sport),
                destination: Endpoint(address: destination, port: dport), format: "log",
                flags: flagWords.isEmpty ? nil : flagWords.joined(separator: " ")))
    }

    /// TCP, tcp, UDP, SCTP, UDPLITE, DCCP, or a number (`PROTO=132`).
    public static func protocolName(_ text: Substring) -> IPProtocol? {
        var name = text.lowercased()
        while name.hasSuffix(",") { name.removeLast() }
        switch name {
        case "tcp": return .tcp
        case "udp": return .udp
        case "sctp": return .sctp
        case "udplite": return .udplite
        case "dccp": return .dccp
        case "icmp": return .icmp
        case "icmpv6", "ipv6-icmp": return .icmpv6
        default:
            if let number = UInt8(name) { return IPProtocol(rawValue: number) }
            return nil
        }
    }
}
