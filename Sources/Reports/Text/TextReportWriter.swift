import Conntrack
public import Engines
import Policy

/// Writes an audit for a person at a terminal: a summary, who is affected
/// (worst first), the evidence per flow, and what to change.
public struct TextReportWriter: Sendable, TerminalStyled {
    /// ANSI colour; the CLI turns it on only for a TTY without NO_COLOR.
    public var color: Bool
    /// Flows listed individually before the rest are only counted.
    public var flowLimit: Int
    /// Offender rows (pod, destination) shown before the rest are only counted.
    public var groupLimit: Int
    /// Write the node's warnings into the report. The CLI prints them on
    /// stderr already, so only a report that goes to a file repeats them:
    /// each warning appears once wherever the user reads.
    public var listsWarnings: Bool

    public init(color: Bool = false, flowLimit: Int = 50, groupLimit: Int = 50, listsWarnings: Bool = false) {
        self.color = color
        self.flowLimit = flowLimit
        self.groupLimit = groupLimit
        self.listsWarnings = listsWarnings
    }

    public func render(_ report: AuditReport) -> String {
        var lines: [String] = []
        let summary = report.summary
        let hints = report.hints
        let scope =
            report.policy.podNetworks.isEmpty
            ? "all source-NATed flows (no \(hints(.podNetworks)))"
            : report.policy.podNetworks.map(\.description).joined(separator: ", ")
        lines.append(bold("ctaudit audit") + " host \(report.host), netns \(report.netns ?? "(own)"), \(report.generatedAt)")
        if let firewall = report.policy.firewall {
            lines.append("upstream firewall: \(firewall.title)   pods: \(scope)")
            lines.append(contentsOf: Self.firewallLines(firewall, nodes: report.policy.nodeAddresses))
        } else {
            lines.append("allowed translated source ports: \(report.policy.allowed)   pods: \(scope)")
        }
        if report.kubernetes.podCIDRsSource != .configured || report.kubernetes.configuredFrom != nil {
            lines.append("pod networks: " + report.kubernetes.sourceSummary)
        }
        if !report.policy.excludedDestinations.isEmpty {
            lines.append("excluded destinations: " + report.policy.excludedDestinations.map(\.description).joined(separator: ", "))
        }
        lines.append("")
        var counts = "flows \(summary.flows)   snat \(summary.snat)   remapped \(summary.remapped)   violations \(summary.violations)"
        if summary.violations > 0 {
            counts += " (\(summary.violationsUnreplied) unreplied"
            counts += summary.violationsKeptPort > 0 ? ", \(summary.violationsKeptPort) kept the pod's own port)" : ")"
        }
        if summary.nodeLocal > 0 {
            counts +=
                "   node-local \(summary.nodeLocal) (peer on this node: never violations"
                + (report.listsNodeLocal ? ")" : "; \(hints(.nodeLocalFlows)) lists them)")
        }
        let outside = summary.outsidePodNetworks
        if outside.flows > 0 {
            counts +=
                "   outside pod networks \(outside.flows) (\(outside.wouldViolate > 0 ? "\(outside.wouldViolate) would violate" : "none would violate"))"
        }
        if report.policy.firewall != nil, summary.uncertain > 0 {
            counts += "   uncertain \(summary.uncertain) (\(summary.uncertainUnreplied) unreplied)"
        }
        lines.append(counts)
        if report.dump.interrupted {
            lines.append(yellow("note: the kernel flagged the dump as interrupted (NLM_F_DUMP_INTR): entries may be missing; audit again"))
        }
        if report.dump.duplicates > 0 {
            lines.append(
                yellow(
                    "note: the kernel sent \(report.dump.duplicates) entr\(report.dump.duplicates == 1 ? "y" : "ies") twice (the table changed during the dump); each was counted once"
                ))
        }
        if report.dump.malformed > 0 {
            lines.append(yellow("note: \(report.dump.malformed) malformed message(s) from the kernel were skipped"))
        }
        lines.append(contentsOf: kubernetesNotes(report))
        lines.append(contentsOf: dataplaneNotes(report))
        lines.append(contentsOf: outsidePodNetworksLines(report))
        if let overlap = report.portOverlap {
            lines.append(contentsOf: PortOverlapText.lines(overlap, evidence: evidence, yellow: yellow))
        }
        if report.listsNodeLocal && !report.nodeLocalFlows.isEmpty {
            lines.append("")
            lines.append("node-local flows (the peer is on this node; no packet crosses the upstream firewall):")
            for flow in report.nodeLocalFlows { lines.append("    " + evidence(flow)) }
        }
        guard summary.violations > 0 else {
            lines.append("")
            switch report.verdict {
            case .podsBlocked:
                let pods = report.kubernetes.portRangeFindings.filter(\.failsEveryConnection)
                lines.append(
                    red("pods blocked:")
                        + " no violation in the table now, but \(pods.count) pod(s) have every port of their ip_local_port_range outside \(report.allowedWords)\(report.policy.firewall == nil ? "" : " for TCP or UDP, for every peer,") and a NAT rule keeps them: each of their connections through it fails"
                )
                lines.append(contentsOf: remedyLines(report))
            case .nothingToAudit:
                lines.append(yellow("nothing to audit:") + " " + report.nothingToAuditExplanation)
            case .outsideViolations:
                lines.append(outsideViolationsVerdict(report))
            case .uncertain:
                lines.append(
                    yellow("uncertain:")
                        + " no violation, but a firewall rule ctaudit cannot judge decides the replies of \(summary.uncertain) flow(s) (\(summary.uncertainUnreplied) unreplied): they are neither violations nor clean"
                )
                lines.append(contentsOf: uncertainLines(report))
            case .clean, .cleanInScope, .violations:
                // Not plain clean while flows from outside the pod networks exist.
                let inScope = report.verdict == .cleanInScope
                let label = green(inScope ? "no violations among pod flows:" : "no violations:")
                let note = inScope ? cleanInScopeNote(report) : ""
                if let firewall = report.policy.firewall, firewall.isStateful {
                    lines.append(label + " " + firewall.sources.compactMap(\.statefulReason).joined(separator: "; ") + note)
                } else if report.policy.firewall != nil {
                    lines.append(
                        label + " the firewall's rules admit the replies of every audited source-NATed \(inScope ? "pod " : "")flow" + note)
                } else if report.dataplanes.warnings.isEmpty {
                    lines.append(label + " every audited source-NATed \(inScope ? "pod " : "")flow uses an allowed port" + note)
                } else {
                    lines.append(
                        yellow("no violations in what was read,")
                            + " but BPF NAT maps could not all be read (\(report.dataplanes.warnings.count) warning(s)): what they translated is not audited"
                            + note)
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }

        lines.append("")
        if report.policy.firewall != nil {
            lines.append(bold("\(summary.violations) violation(s): replies dropped by the upstream firewall"))
        } else {
            lines.append(bold("\(summary.violations) violation(s): translated source port outside \(report.allowedWords)"))
        }
        lines.append("")
        let header = ["POD", "DESTINATION", "PROTO", "FLOWS", "UNREPLIED", "TRANSLATED PORTS"]
        var rows: [[String]] = []
        let (offenders, offenderCount) = OffenderGroup.worst(report.violations, limit: groupLimit)
        let pods = Self.podsByAddress(report)
        for group in offenders {
            let ports =
                group.translatedPorts.prefix(8).map(String.init).joined(separator: ",")
                + (group.translatedPorts.count > 8 ? ",…" : "")
            rows.append([
                podCell(group.podSource, pods: pods), endpoint(group.destination, group.destinationPort), group.proto.name,
                String(group.violations), String(group.unreplied), ports,
            ])
        }
        lines.append(contentsOf: table(header: header, rows: rows, rightAligned: [3, 4]))
        if offenderCount > groupLimit {
            lines.append("… and \(offenderCount - groupLimit) more pod/destination pairs (\(hints(.everyRow)) lists all)")
        }
        let drops = report.firewallDrops
        if !drops.isEmpty {
            lines.append("")
            lines.append(bold("dropped by:"))
            for drop in drops {
                lines.append("  \(drop.decidedBy)" + (drop.origin.map { "  [\($0)]" } ?? ""))
                lines.append("      \(drop.flowSummary)")
            }
        }
        if summary.uncertain > 0 { lines.append(contentsOf: uncertainLines(report)) }
        lines.append("")
        lines.append(contentsOf: evidenceByPod(report.violations.prefix(flowLimit)))
        if report.violations.total > flowLimit {
            lines.append("  … and \(report.violations.total - flowLimit) more (\(hints(.everyRow)) lists all)")
        }
        lines.append(contentsOf: remedyLines(report))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The fixes, the one for this node's rules marked.
    private func remedyLines(_ report: AuditReport) -> [String] {
        Self.remedyLines(report.remedyAdvice, bold: bold)
    }

    /// The same lines in audit, check and the watch summary.
    public static func remedyLines(_ advice: RemedyAdvice, bold: (String) -> String = { $0 }) -> [String] {
        let remedies = advice.shown
        guard !remedies.isEmpty else { return [] }
        var lines: [String] = []
        if let headline = advice.headline {
            lines.append("")
            lines.append(headline)
        }
        for remedy in remedies {
            lines.append("")
            lines.append(bold(RemedyAdvice.label(remedy)) + " " + remedy.summary)
            for command in remedy.commands { lines.append("    " + command) }
        }
        return lines
    }

    /// The rules ctaudit cannot judge that decide the uncertain flows, and how many each.
    private func uncertainLines(_ report: AuditReport) -> [String] {
        let groups = report.firewallUncertain
        guard !groups.isEmpty else { return [] }
        var lines = ["", bold("uncertain (a rule ctaudit cannot judge decides; check it by hand, or give ctaudit what it lacks):")]
        for group in groups {
            lines.append("  \(group.decidedBy)" + (group.origin.map { "  [\($0)]" } ?? ""))
            lines.append("      \(group.flowSummary)")
        }
        for flow in report.uncertainFlows.prefix(min(flowLimit, 10)) { lines.append("    " + evidence(flow)) }
        if report.uncertainFlows.total > min(flowLimit, 10) {
            lines.append("    … and \(report.uncertainFlows.total - min(flowLimit, 10)) more uncertain flow(s)")
        }
        return lines
    }

    /// What was read from `--firewall`: admitted ports per protocol, family
    /// and node address, and the readers' notes.
    static func firewallLines(_ firewall: FirewallPolicy, nodes: [IPAddress] = []) -> [String] {
        var lines: [String] = []
        if firewall.isStateful {
            lines.append(contentsOf: firewall.sources.compactMap(\.statefulReason))
        } else {
            lines.append("replies admitted to: " + firewall.admittedSummary(nodes: nodes).joined(separator: "; "))
        }
        for source in firewall.sources {
            for note in source.notes { lines.append("note: \(source.path): \(note)") }
        }
        return lines
    }

    /// One flow's evidence, conntrack-style.
    public func evidence(_ violation: Violation) -> String {
        let flow = violation.flow
        var text =
            "\(flow.proto.name.padding(6)) \(endpoint(flow.original.source, flow.original.sourcePort)) -> "
            + "\(endpoint(flow.original.destination, flow.original.destinationPort))  via "
            + "\(endpoint(flow.translatedSource, flow.translatedSourcePort))"
        if let state = flow.protocolState { text += "  \(state.name)" }
        if flow.isUnreplied { text += " " + red("[UNREPLIED]") }
        if flow.isAssured { text += " [ASSURED]" }
        text += flow.isPortRemapped ? "  remapped" : "  kept pod port"
        if let timeout = flow.timeout { text += "  expires \(timeout)s" }
        if let age = violation.ageSeconds { text += "  age \(age)s" }
        if flow.mark != 0 { text += "  mark \(flow.mark)" }
        if flow.zone != 0 { text += "  zone \(flow.zone)" }
        // Directional zones as conntrack(8) prints them.
        if let zone = flow.originalZone { text += "  zone-orig \(zone)" }
        if let zone = flow.replyZone { text += "  zone-reply \(zone)" }
        if violation.dataplane != .conntrack { text += "  [\(violation.dataplane) BPF]" }
        return text
    }

    private func endpoint(_ address: IPAddress, _ port: UInt16) -> String { TerminalText.endpoint(address, port) }

    private func table(header: [String], rows: [[String]], rightAligned: Set<Int>) -> [String] {
        var lines = TerminalText.table(header: header, rows: rows, rightAligned: rightAligned)
        lines[0] = bold(lines[0])
        return lines
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
