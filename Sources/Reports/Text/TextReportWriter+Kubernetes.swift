public import Conntrack
public import Engines
import NodeState

/// The Kubernetes parts of the text report: pods named in the offender
/// table, evidence grouped by pod, and pods whose own port range is a cause.
extension TextReportWriter {
    /// `10.244.0.4 default/web-1 (netns cni-…)`, or the bare address when
    /// attribution did not run or found nothing.
    public func podCell(_ address: IPAddress, _ report: AuditReport) -> String {
        podCell(address, pods: Self.podsByAddress(report))
    }

    /// The first known identity per pod address, built once per report (a
    /// lookup per offender row would be quadratic on a busy node).
    static func podsByAddress(_ report: AuditReport) -> [IPAddress: PodIdentity] {
        report.violations.podIdentities
    }

    func podCell(_ address: IPAddress, pods: [IPAddress: PodIdentity]) -> String {
        guard let pod = pods[address], !pod.isOnlyAddress else {
            return address.description
        }
        return "\(address) \(pod)"
    }

    /// Evidence lines under one header per pod, pods in worst-first order.
    public func evidenceByPod(_ violations: some Collection<Violation>) -> [String] {
        var order: [IPAddress] = []
        var byPod: [IPAddress: [Violation]] = [:]
        for violation in violations {
            if byPod[violation.podSource] == nil { order.append(violation.podSource) }
            byPod[violation.podSource, default: []].append(violation)
        }
        var lines: [String] = []
        for address in order {
            let flows = byPod[address]!
            let pod = flows[0].pod ?? PodIdentity(ip: address)
            var name = "\(address) \(pod)"
            if pod.isOnlyAddress {
                name =
                    flows[0].pod == nil
                    ? "\(address)"
                    : pod.otherNetns.isEmpty
                        ? "\(address) (only the IP is known)"
                        : "\(address) (held by \(pod.otherNetns.count) namespaces: \(pod.otherNetns.joined(separator: ", ")); not pinned to one)"
            }
            var header = "pod \(name): \(flows.count) flow(s)"
            if let id = pod.containerID, pod.name != nil { header += ", container \(id.prefix(12))" }
            lines.append("  " + header)
            for violation in flows { lines.append("    " + evidence(violation)) }
        }
        return lines
    }

    /// Pods whose ip_local_port_range reaches outside the allowed ports, and
    /// what could not be read on the node.
    public func kubernetesNotes(_ report: AuditReport) -> [String] {
        let context = report.kubernetes
        var lines: [String] = []
        let blocking = context.portRangeFindings.filter { $0.isBlocking && $0.isBlockedByRange }
        let byRule = context.portRangeFindings.filter { $0.isBlocking && !$0.isBlockedByRange && !$0.isOnlyUncertain }
        if !byRule.isEmpty {
            lines.append("")
            lines.append(
                paint(
                    "\(byRule.count) pod(s) whose replies the firewall refuses or admits by protocol or peer, whatever their port range",
                    "1")
                    + " (no ip_local_port_range changes this):")
            for finding in byRule { lines.append("  " + Self.portRangeLine(finding)) }
        }
        let unsure = context.portRangeFindings.filter { $0.isBlocking && $0.isOnlyUncertain }
        if !unsure.isEmpty {
            lines.append("")
            lines.append(
                paint("\(unsure.count) pod(s) whose ip_local_port_range a firewall rule ctaudit cannot judge decides", "33")
                    + " (nothing known to be dropped; see the uncertain rules):")
            for finding in unsure { lines.append("  " + Self.portRangeLine(finding)) }
        }
        if !blocking.isEmpty {
            lines.append("")
            lines.append(
                paint("\(blocking.count) pod(s) with ip_local_port_range outside \(report.allowedWords)", "1")
                    + " (masquerade keeps a pod's port when it can, so these connections fail without any NAT clash):")
            for finding in blocking {
                lines.append("  " + Self.portRangeLine(finding))
            }
            // With kept-port violations the remedies below already say this.
            if let range = report.commonAllowedRange, report.remedies.isEmpty {
                let high = range.high > 60999 && range.low < 60999 ? 60999 : range.high
                lines.append(
                    "  fix: sysctl -w net.ipv4.ip_local_port_range=\"\(range.low) \(high)\" inside those pods, "
                        + "or securityContext.sysctls in their pod spec")
            }
        }
        let harmless = context.portRangeFindings.filter { !$0.isBlocking }
        if !harmless.isEmpty {
            lines.append("")
            lines.append(
                "\(harmless.count) pod(s) with ip_local_port_range outside \(report.allowedWords) whose TCP/UDP reaches no NAT rule here that keeps their port (rules pin or randomize it, or there are none): their own range has no effect on the firewall"
            )
            for finding in harmless {
                var line = "  \(finding.pod.ip) \(finding.pod)  ip_local_port_range \(finding.range)"
                if let others = finding.keepingProtocols, !others.isEmpty {
                    line +=
                        "  still kept for \(others.map(\.name).joined(separator: ", ")) (a rule without a pinned range takes those"
                        + (others.contains(.udplite) ? "; iptables cannot pin UDP-Lite)" : ")")
                }
                lines.append(line)
            }
        }
        if let error = report.natRulesError, !context.portRangeFindings.isEmpty {
            lines.append(paint("note: NAT rules not read (\(error)): pods' port ranges judged as if a rule keeps their ports", "33"))
        }
        if listsWarnings {
            for warning in context.warnings { lines.append(paint("warning: \(warning)", "33")) }
        }
        return lines
    }

    /// `10.244.0.4 default/web-1  ip_local_port_range 1024-2047  blocked 1024-2047 (100%) for tcp, udp`;
    /// per protocol when the firewall answers them differently:
    /// `blocked 1024-2047 (100%) for tcp; UDP/ipv4 replies admitted only from source port 53 (0-65535) for udp`.
    static func portRangeLine(_ finding: PodPortRangeFinding) -> String {
        var line = "\(finding.pod.ip) \(finding.pod)  ip_local_port_range \(finding.range)"
        let exposures = finding.exposures.isEmpty ? [] : finding.relevantExposures
        if finding.exposures.isEmpty {
            let share = Int((finding.blockedShare * 100).rounded())
            line += "  blocked \(finding.outside) (\(share)%)"
            if let protocols = finding.keepingProtocols { line += " for \(protocols.map(\.name).joined(separator: ", "))" }
        } else if exposures.isEmpty {
            line += "  outside \(finding.outside) for protocols no NAT rule keeps the port of"
        } else {
            // Protocols (and families) with the same answer share one phrase;
            // a protocol answered alike in every family is named alone.
            var phrases: [(words: String, members: [PodPortRangeFinding.Exposure])] = []
            for exposure in exposures {
                let words = exposure.words(range: finding.range)
                if let index = phrases.firstIndex(where: { $0.words == words }) {
                    phrases[index].members.append(exposure)
                } else {
                    phrases.append((words, [exposure]))
                }
            }
            let families = Set(exposures.map(\.family))
            func names(_ members: [PodPortRangeFinding.Exposure]) -> String {
                var out: [String] = []
                for proto in NodeNATRules.portProtocols where members.contains(where: { $0.proto == proto }) {
                    let mine = Set(members.filter { $0.proto == proto }.map(\.family))
                    out += mine == families ? [proto.name] : mine.sorted { $0.rawValue < $1.rawValue }.map { "\(proto.name)/\($0)" }
                }
                return out.joined(separator: ", ")
            }
            if phrases.count == 1 && finding.keepingProtocols == nil {
                line += "  " + phrases[0].words
            } else {
                line += "  " + phrases.map { "\($0.words) for \(names($0.members))" }.joined(separator: "; ")
            }
        }
        if finding.keptPortViolations > 0 { line += "  \(finding.keptPortViolations) violation(s) now" }
        return line
    }
}
