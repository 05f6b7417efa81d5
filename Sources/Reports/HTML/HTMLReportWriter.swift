import Conntrack
public import Engines
import Policy

/// Writes an audit as one self-contained HTML file: no scripts, no external
/// fonts, styles or images, so it can be mailed, attached to a ticket or
/// served from anywhere and still look the same. Every value that came from
/// the table, the host or the user is escaped.
public struct HTMLReportWriter: Sendable {
    /// Flows listed individually in the evidence table; the rest are counted.
    public var flowLimit: Int
    /// Pod/destination pairs listed in the offender table, worst first; the
    /// rest are counted (a page of 50 000 rows helps nobody, and costs its
    /// size in memory).
    public var groupLimit: Int

    public init(flowLimit: Int = 1000, groupLimit: Int = 1000) {
        self.flowLimit = flowLimit
        self.groupLimit = groupLimit
    }

    /// A hint's phrase in the report's words, as code when it is something to type.
    func hint(_ hint: ReaderHint, _ report: AuditReport) -> String {
        let phrase = report.hints.phrase(hint)
        return phrase.isCommandLine ? "<code>\(HTML.escape(phrase.text))</code>" : HTML.escape(phrase.text)
    }

    public func render(_ report: AuditReport) -> String {
        var page = ""
        write(report) { page += $0 }
        return page
    }

    /// Writes the page section by section to `sink`, so stdout gets each
    /// section as it is made instead of one string of the whole page.
    public func write(_ report: AuditReport, to sink: (String) -> Void) {
        let summary = report.summary
        let title = "ctaudit audit: \(report.host)"
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="ctaudit">
            <title>\(HTML.escape(title))</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <header>
            <h1>\(HTML.escape(title))</h1>
            <p class="meta">netns <b>\(HTML.escape(report.netns ?? "(own)"))</b> · \(HTML.escape(report.generatedAt)) ·
            \(policyMeta(report)) ·
            pods <b>\(HTML.escape(scope(report)))</b>\(excluded(report))</p>
            </header>

            """
        let verdict = report.verdict
        if let firewall = report.policy.firewall, verdict == .violations || verdict == .clean || verdict == .uncertain {
            out += Self.firewallVerdict(report, firewall)
        } else {
            switch verdict {
            case .violations:
                out +=
                    "<p id=\"verdict\" class=\"verdict bad\" data-verdict=\"\(verdict.rawValue)\">\(summary.violations) violation(s): "
                    + "\(summary.violationsUnreplied) never got a reply. Replies to translated ports outside "
                    + "\(HTML.escape(report.policy.allowed.description)) are dropped upstream.</p>\n"
            case .podsBlocked:
                let pods = report.kubernetes.portRangeFindings.filter(\.failsEveryConnection).count
                out +=
                    "<p id=\"verdict\" class=\"verdict bad\" data-verdict=\"\(verdict.rawValue)\">Pods blocked: no violation in the table now, but "
                    + "\(pods) pod(s) have every port of their ip_local_port_range outside \(HTML.escape(report.allowedWords)) "
                    + "and a NAT rule keeps them: each of their connections through it fails.</p>\n"
            case .uncertain:
                out +=
                    "<p id=\"verdict\" class=\"verdict warn\" data-verdict=\"\(verdict.rawValue)\">Uncertain: \(summary.uncertain) flow(s) "
                    + "decided by a firewall rule ctaudit cannot judge.</p>\n"
            case .nothingToAudit:
                out +=
                    "<p id=\"verdict\" class=\"verdict none\" data-verdict=\"\(verdict.rawValue)\">Nothing to audit: "
                    + HTML.escape(report.nothingToAuditExplanation) + ".</p>\n"
            case .outsideViolations, .cleanInScope:
                out += outsideVerdict(report)
            case .clean where !report.dataplanes.warnings.isEmpty:
                out +=
                    "<p id=\"verdict\" class=\"verdict warn\" data-verdict=\"\(verdict.rawValue)\">No violations in what was read, but "
                    + "BPF NAT maps could not all be read (\(report.dataplanes.warnings.count) warning(s)): what they translated is not audited.</p>\n"
            case .clean:
                out +=
                    "<p id=\"verdict\" class=\"verdict good\" data-verdict=\"\(verdict.rawValue)\">No violations: every audited source-NATed flow uses an allowed port.</p>\n"
            }
        }
        out +=
            "<section id=\"summary\"><h2>Summary</h2>\n"
            + HTML.table(
                id: "summary-table",
                header: [
                    "flows", "source-NATed", "remapped", "violations", "unreplied", "kept pod port", "out of scope", "without ports",
                    "node-local",
                ],
                rows: [
                    [
                        summary.flows, summary.snat, summary.remapped, summary.violations, summary.violationsUnreplied,
                        summary.violationsKeptPort, summary.outOfScope, summary.withoutPorts, summary.nodeLocal,
                    ].map(String.init)
                ],
                numeric: Set(0..<9))
        if summary.nodeLocal > 0 {
            out +=
                "<p class=\"legend\">node-local: source-NATed pod flows whose peer is on this node (a pod, a service network, "
                + "the node itself, loopback): hairpin and pod-to-pod traffic the upstream firewall never sees; never violations"
                + (report.listsNodeLocal ? ", listed below." : " (\(hint(.nodeLocalFlows, report)) lists them).") + "</p>\n"
        }
        out += notes(report) + dataplaneSection(report) + "</section>\n"
        out += outsidePodNetworksSection(report)

        out += "<section id=\"ports\"><h2>Translated source ports</h2>\n"
        out +=
            "<p class=\"legend\"><span class=\"swatch band\"></span>allowed by the upstream firewall "
            + "<span class=\"swatch ok\"></span>flows on allowed ports <span class=\"swatch bad\"></span>violations</p>\n"
        out += PortHistogramSVG(
            histogram: report.translatedPorts ?? Self.histogram(of: report.violations),
            allowed: report.policy.allowed
        ).render()
        if report.translatedPorts == nil {
            out += "<p class=\"note\">Only violations are charted: this report did not keep the ports of allowed flows.</p>\n"
        }
        out += "</section>\n"
        // What to change comes before the evidence: a node with hundreds of
        // violations would push it pages down.
        out += remediesSection(report)
        out += kubernetesSection(report)
        sink(out)
        out = ""

        if report.violations.total == 0, report.summary.uncertain > 0 {
            out += Self.firewallDropsSection(report)
        }
        if report.violations.total > 0 {
            let pods = TextReportWriter.podsByAddress(report)
            let offenders = OffenderGroup.worst(report.violations, limit: groupLimit)
            sink("<section id=\"offenders\"><h2>Offenders (pod → destination)</h2>\n")
            HTML.table(
                id: "offender-table",
                header: ["pod", "destination", "proto", "violations", "unreplied", "remapped", "translated ports"],
                rows: offenders.groups.lazy.map { group in
                    [
                        TextReportWriter().podCell(group.podSource, pods: pods), endpoint(group.destination, group.destinationPort),
                        group.proto.name,
                        String(group.violations), String(group.unreplied), String(group.remapped),
                        ports(group.translatedPorts),
                    ]
                },
                numeric: [3, 4, 5], to: sink)
            if offenders.count > groupLimit {
                out +=
                    "<p class=\"note\">… and \(offenders.count - groupLimit) more pod/destination pairs; \(hint(.everyRow, report)) lists all.</p>\n"
            }
            out += "</section>\n"
            out += Self.firewallDropsSection(report)
            out += "<section id=\"evidence\"><h2>Evidence (worst first)</h2>\n"
            sink(out)
            out = ""
            HTML.table(
                id: "violation-table",
                header: [
                    "pod", "proto", "original (pod → server)", "translated source", "state", "reply", "NAT", "expires", "age",
                    "conntrack reply tuple",
                ],
                rows: report.violations.prefix(flowLimit).lazy.map {
                    [TextReportWriter().podCell($0.podSource, pods: pods)] + evidenceRow($0)
                },
                numeric: [7, 8], to: sink)
            if report.violations.total > flowLimit {
                out += "<p class=\"note\">… and \(report.violations.total - flowLimit) more; \(hint(.everyRow, report)) lists all.</p>\n"
            }
            out += "</section>\n"
        }
        if report.listsNodeLocal && !report.nodeLocalFlows.isEmpty {
            out +=
                "<section id=\"node-local\"><h2>Node-local flows (not violations)</h2>\n"
                + HTML.table(
                    id: "node-local-table",
                    header: [
                        "proto", "original (pod → server)", "translated source", "state", "reply", "NAT", "expires", "age",
                        "conntrack reply tuple",
                    ],
                    rows: report.nodeLocalFlows.prefix(flowLimit).map(evidenceRow),
                    numeric: [6, 7]) + "</section>\n"
        }
        out += "<footer>ctaudit · read-only conntrack audit · schema of the JSON equivalent: \(JSONReportWriter.schema)</footer>\n"
        sink(out + "</body>\n</html>\n")
    }

    /// The header's policy: the allowed ports (`--allow`), or the firewall files read.
    private func policyMeta(_ report: AuditReport) -> String {
        if let firewall = report.policy.firewall {
            return "upstream firewall <b id=\"firewall\">\(HTML.escape(firewall.title))</b>"
        }
        return "allowed translated source ports <b id=\"allowed\">\(HTML.escape(report.policy.allowed.description))</b>"
    }

    /// A chart of violations only, for reports built without the full histogram.
    static func histogram(of violations: ViolationList) -> PortHistogram {
        var histogram = PortHistogram()
        for violation in violations.allFacts { histogram.add(port: violation.translatedPort, violation: true) }
        return histogram
    }

    func evidenceRow(_ violation: Violation) -> [String] {
        let flow = violation.flow
        return [
            flow.proto.name,
            endpoint(flow.original.source, flow.original.sourcePort) + " → "
                + endpoint(flow.original.destination, flow.original.destinationPort),
            endpoint(flow.translatedSource, flow.translatedSourcePort),
            flow.protocolState?.name ?? "",
            flow.isUnreplied ? "UNREPLIED" : (flow.isAssured ? "ASSURED" : "replied"),
            flow.isPortRemapped ? "remapped" : "kept pod port",
            flow.timeout.map { "\($0)s" } ?? "",
            violation.ageSeconds.map { "\($0)s" } ?? "",
            flow.reply.description,
        ]
    }

    private func scope(_ report: AuditReport) -> String {
        report.policy.podNetworks.isEmpty ? "all source-NATed flows" : report.policy.podNetworks.map(\.description).joined(separator: ", ")
    }

    private func excluded(_ report: AuditReport) -> String {
        guard !report.policy.excludedDestinations.isEmpty else { return "" }
        return " · excluded destinations <b>" + HTML.escape(report.policy.excludedDestinations.map(\.description).joined(separator: ", "))
            + "</b>"
    }

    private func remediesSection(_ report: AuditReport) -> String {
        let advice = report.remedyAdvice
        let remedies = advice.shown
        guard !remedies.isEmpty else { return "" }
        var out = "<section id=\"remedies\"><h2>What to change</h2>\n"
        if let headline = advice.headline {
            out += "<p id=\"applies\">" + Self.codeSpans(headline) + "</p>\n"
        }
        for remedy in remedies {
            let applies = remedy.appliesHere == true
            out +=
                "<div class=\"remedy\(applies ? " applies" : "")\" data-kind=\"\(HTML.escape(remedy.kind.rawValue))\"><p>"
                + (applies ? "<b>applies here:</b> " : "") + Self.codeSpans(remedy.summary) + "</p>\n"
            if !remedy.commands.isEmpty {
                out += "<pre>" + remedy.commands.map(HTML.escape).joined(separator: "\n") + "</pre>\n"
            }
            out += "</div>\n"
        }
        return out + "</section>\n"
    }

    /// Escapes `text` and turns `command` spans into <code>: no literal
    /// backticks on the page.
    static func codeSpans(_ text: String) -> String {
        let parts = text.split(separator: "`", omittingEmptySubsequences: false)
        var out = ""
        for (index, part) in parts.enumerated() {
            let escaped = HTML.escape(String(part))
            // An unmatched last backtick opens nothing: its text stays plain.
            let closed = parts.count % 2 == 1 || index != parts.count - 1
            out += index % 2 == 1 && closed ? "<code>\(escaped)</code>" : escaped
        }
        return out
    }

    /// Pod names, their port-range findings, and what could not be read.
    private func kubernetesSection(_ report: AuditReport) -> String {
        let context = report.kubernetes
        var out = "<section id=\"node\"><h2>Pods and node</h2>\n"
        out += "<p>pod networks: \(HTML.escape(context.sourceSummary))</p>\n"
        if !context.portRangeFindings.isEmpty {
            out += HTML.table(
                id: "pod-port-range-table",
                header: ["pod", "netns", "ip_local_port_range", "blocked", "share", "kept by NAT for", "violations now"],
                rows: context.portRangeFindings.map { finding -> [String] in
                    let blocked: String = Self.blockedCell(finding)
                    return [
                        finding.pod.ip.description + (finding.pod.isOnlyAddress ? "" : " \(finding.pod)"), finding.pod.netns ?? "",
                        finding.range.description,
                        blocked,
                        "\(Int((finding.blockedShare * 100).rounded()))%",
                        finding.keepingProtocols.map { $0.isEmpty ? "none" : $0.map(\.name).joined(separator: ", ") } ?? "rules not read",
                        String(finding.keptPortViolations),
                    ]
                }, numeric: [4, 6])
        }
        if !context.warnings.isEmpty {
            out +=
                "<p class=\"note\">Could not be used on the node:</p>\n<ul class=\"note\">"
                + context.warnings.map { "<li>\(HTML.escape($0.description))</li>" }.joined() + "</ul>\n"
        }
        return out + "</section>\n"
    }

    private func notes(_ report: AuditReport) -> String {
        var out = ""
        if report.dump.interrupted {
            out +=
                "<p class=\"note\">The kernel flagged the dump as interrupted (NLM_F_DUMP_INTR): entries may be missing; audit again.</p>\n"
        }
        if report.dump.duplicates > 0 {
            out +=
                "<p class=\"note\">The kernel sent \(report.dump.duplicates) entr\(report.dump.duplicates == 1 ? "y" : "ies") twice (the table changed during the dump); each was counted once.</p>\n"
        }
        if report.dump.malformed > 0 {
            out += "<p class=\"note\">\(report.dump.malformed) malformed message(s) from the kernel were skipped.</p>\n"
        }
        return out
    }

    private func ports(_ ports: [UInt16]) -> String {
        ports.prefix(12).map(String.init).joined(separator: ", ") + (ports.count > 12 ? ", …" : "")
    }

    private func endpoint(_ address: IPAddress, _ port: UInt16) -> String { TerminalText.endpoint(address, port) }

    static let style = """

        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
        .meta{color:#555;margin:0}
        .verdict{padding:10px 14px;border-radius:6px;font-weight:600}
        .verdict.bad{background:#fde8e8;color:#8a1010;border:1px solid #f3b4b4}
        .verdict.good{background:#e6f6e6;color:#145214;border:1px solid #a9d9a9}
        .verdict.warn{background:#fff6dd;color:#6b4e00;border:1px solid #eed58a}
        .verdict.none{background:#fff6dd;color:#6a4a00;border:1px solid #ecd48a}
        .remedy.applies{border-left:4px solid #2a7a2a;padding-left:8px}
        table{border-collapse:collapse;margin:4px 0}th,td{padding:4px 10px;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}
        th{background:#f4f4f6;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        #violation-table td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
        pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:10px;overflow:auto}
        .note{color:#7a5a00}.legend{color:#444}
        .swatch{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:-1px;border:1px solid #999}
        .swatch.band{background:\(PortHistogramSVG.bandColor)}.swatch.ok{background:\(PortHistogramSVG.allowedColor)}
        .swatch.bad{background:\(PortHistogramSVG.violationColor)}
        svg text{font-size:11px;fill:#333}footer{margin-top:32px;color:#888;font-size:12px}

        """

    /// What the firewall does to a pod's range, per protocol where it answers them differently.
    static func blockedCell(_ finding: PodPortRangeFinding) -> String {
        guard finding.isBlocking else { return "no effect (NAT pins the port)" }
        if finding.exposures.isEmpty { return finding.outside.description }
        let parts: [String] = finding.relevantExposures.map { exposure in
            "\(exposure.proto.name)/\(exposure.family): " + exposure.words(range: finding.range)
        }
        return parts.joined(separator: "; ")
    }
}
