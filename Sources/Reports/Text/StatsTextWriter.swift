import Conntrack
public import Engines
public import Policy

/// Writes `stats` for a person at a terminal: table fill, conntrack's
/// counters (summed, or per CPU), and the most pressed NAT port spaces.
public struct StatsTextWriter: Sendable, TerminalStyled {
    /// ANSI colour; the CLI turns it on only for a TTY without NO_COLOR.
    public var color: Bool
    /// One counter row per CPU as well as the total.
    public var perCPU: Bool
    /// Port-pressure groups listed (0 = all).
    public var top: Int
    /// How the reader gets more (each CPU, every row): the caller's words.
    public var hints = ReaderHintWording.plain

    public init(color: Bool = false, perCPU: Bool = false, top: Int = 20) {
        self.color = color
        self.perCPU = perCPU
        self.top = top
    }

    public func render(_ report: StatsReport) -> String {
        var lines: [String] = []
        lines.append(bold("ctaudit stats") + " host \(report.host), netns \(report.netns ?? "(own)"), \(report.generatedAt)")
        lines.append("")
        var table = "table: \(report.tableSize.entries) entries"
        if let maximum = report.tableSize.maximum, let fill = report.tableFillPPM {
            table += " of \(maximum) (nf_conntrack_max), \(percent(fill)) full"
            if fill >= 800_000 { table += "  " + yellow("nearly full: new flows will be early-dropped or refused") }
        }
        lines.append(table)
        lines.append("")

        let names = CPUStatistics().counters.map(\.name)
        let header = ["CPU"] + names
        var rows: [[String]] = []
        if perCPU {
            for cpu in report.cpus { rows.append([String(cpu.cpu ?? 0)] + cpu.counters.map { String($0.value) }) }
        }
        rows.append(["all"] + report.total.counters.map { String($0.value) })
        lines.append(
            bold("conntrack counters") + " (\(perCPU ? "per CPU and " : "")summed over \(report.cpus.count) CPUs"
                + (perCPU ? "" : "; \(hints(.perCPUCounters)) for each") + ")")
        lines.append(contentsOf: align(header: header, rows: rows, rightAligned: Set(1..<header.count)))
        lines.append(contentsOf: counterNotes(report.total).map { "  " + yellow($0) })
        lines.append("")

        let allowed = report.policy.allowed
        let listed = top > 0 ? Array(report.pressures.prefix(top)) : report.pressures
        lines.append(
            bold("NAT port pressure") + " (allowed \(allowed) = \(allowed.count) ports; \(report.snat) source-NATed "
                + "pod flows of \(report.flowsRead) entries; \(listed.count) of \(report.pressures.count) destination(s))")
        if report.pressures.isEmpty {
            lines.append("  no source-NATed pod flows")
        } else {
            let header = ["TRANSLATED", "DESTINATION", "PROTO", "IN USE", "IN ALLOWED", "SHARE", "REMAPPED", "VIOLATIONS"]
            let rows = listed.map { group in
                [
                    group.translated.description, endpoint(group.destination, group.destinationPort), group.proto.name,
                    String(group.portsInUse), String(group.portsInAllowed), percent(group.sharePPM),
                    String(group.remapped), String(group.violations),
                ]
            }
            lines.append(contentsOf: align(header: header, rows: rows, rightAligned: [3, 4, 5, 6, 7]))
            if listed.count < report.pressures.count {
                lines.append("  … and \(report.pressures.count - listed.count) more (\(hints(.allRows)) lists all)")
            }
        }
        let steps = Self.nextSteps(report)
        if !steps.isEmpty {
            lines.append("")
            lines.append(bold("what to do next:"))
            lines.append(contentsOf: steps.map { "  - " + $0 })
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Pressed ports: a destination whose translated address uses this share
    /// of the allowed ports or more is close to running out.
    static let pressedPPM = 500_000

    /// What a person should do about non-zero NAT failures, a full table or
    /// pressed port spaces, the way `audit` ends with its fixes.
    public static func nextSteps(_ report: StatsReport) -> [String] {
        var steps: [String] = []
        let total = report.total
        let violations = report.pressures.reduce(0) { $0 + $1.violations }
        if total.insertFailed > 0 || total.drop > 0 {
            steps.append(
                "NAT or conntrack could not insert \(total.insertFailed) entr(y/ies) and dropped \(total.drop) packet(s): "
                    + "run 'ctaudit audit' to see which pod flows NAT remapped and where; if one destination's ports run out "
                    + "(pressure below), give masquerade more ports (a wider allowed --to-ports range) or more source addresses "
                    + "(SNAT --to-source A-B); 'ctaudit watch' shows new failures as they happen")
        }
        if total.earlyDrop > 0 || (report.tableFillPPM ?? 0) >= 800_000 {
            steps.append(
                "the table is (nearly) full: raise net.netfilter.nf_conntrack_max (and nf_conntrack_buckets), "
                    + "or shorten the timeouts of idle flows (net.netfilter.nf_conntrack_*_timeout)")
        }
        if total.chainTooLong > 0 {
            steps.append("hash chains too long: raise net.netfilter.nf_conntrack_buckets (the table is undersized for its entries)")
        }
        let pressed = report.pressures.filter { $0.sharePPM >= pressedPPM }
        if let worst = pressed.first {
            steps.append(
                "\(pressed.count) destination(s) use half or more of the allowed ports (worst: \(worst.translated) -> "
                    + "\(worst.destination) \(worst.proto.name)/\(worst.destinationPort)): new connections there clash and are remapped, "
                    + "more of them outside the allowed range; spread them over more source addresses (SNAT --to-source A-B) "
                    + "or widen the upstream firewall's allowed ports, then check with 'ctaudit check'")
        }
        if violations > 0 {
            steps.append(
                "\(violations) source-NATed pod flow(s) use ports the upstream firewall drops: run 'ctaudit audit' for the "
                    + "evidence and the fix for this node's rules")
        }
        return steps
    }

    /// What non-zero counters that matter for NAT mean.
    private func counterNotes(_ total: CPUStatistics) -> [String] {
        var notes: [String] = []
        if total.insertFailed > 0 {
            notes.append("insert_failed \(total.insertFailed): entries could not be inserted (tuple clashes, e.g. NAT found no free port)")
        }
        if total.drop > 0 { notes.append("drop \(total.drop): packets dropped because no entry could be made") }
        if total.earlyDrop > 0 { notes.append("early_drop \(total.earlyDrop): entries evicted because the table was full") }
        if total.chainTooLong > 0 {
            notes.append("chaintoolong \(total.chainTooLong): hash chains too long (table undersized or hash attack)")
        }
        return notes
    }

    /// Parts per million as a percentage with two decimals.
    private func percent(_ ppm: Int) -> String {
        let hundredths = ppm / 100
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)%"
    }

    private func endpoint(_ address: IPAddress, _ port: UInt16) -> String { TerminalText.endpoint(address, port) }

    private func align(header: [String], rows: [[String]], rightAligned: Set<Int>) -> [String] {
        var lines = TerminalText.table(header: header, rows: rows, rightAligned: rightAligned, indent: "  ", padLastColumn: true)
        lines[0] = bold(lines[0])
        return lines
    }
}
