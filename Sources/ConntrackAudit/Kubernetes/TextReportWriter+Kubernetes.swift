public import Conntrack

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
        var pods: [IPAddress: PodIdentity] = [:]
        for violation in report.violations where pods[violation.podSource] == nil {
            if let pod = violation.pod { pods[violation.podSource] = pod }
        }
        return pods
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
                name = flows[0].pod == nil ? "\(address)"
                    : pod.otherNetns.isEmpty ? "\(address) (only the IP is known)"
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
        if !context.portRangeFindings.isEmpty {
            lines.append("")
            lines.append(k8sPaint("\(context.portRangeFindings.count) pod(s) with ip_local_port_range outside \(report.policy.allowed.ranges.isEmpty ? "any port the firewall admits for every TCP/UDP reply (none)" : report.policy.allowed.description)", "1")
                + " (masquerade keeps a pod's port when it can, so these connections fail without any NAT clash):")
            for finding in context.portRangeFindings {
                let share = Int((finding.blockedShare * 100).rounded())
                var line = "  \(finding.pod.ip) \(finding.pod)  ip_local_port_range \(finding.range)"
                    + "  blocked \(finding.outside) (\(share)%)"
                if finding.keptPortViolations > 0 { line += "  \(finding.keptPortViolations) violation(s) now" }
                lines.append(line)
            }
            // With kept-port violations the remedies below already say this.
            if let range = report.policy.allowed.widest, report.summary.violationsKeptPort == 0 {
                let high = range.high > 60999 && range.low < 60999 ? 60999 : range.high
                lines.append("  fix: sysctl -w net.ipv4.ip_local_port_range=\"\(range.low) \(high)\" inside those pods, "
                    + "or securityContext.sysctls in their pod spec")
            }
        }
        if !context.warnings.isEmpty {
            lines.append(k8sPaint("note: \(context.warnings.count) file(s)/namespace(s) on the node could not be used (listed on stderr and in --format json)", "33"))
        }
        return lines
    }

    private func k8sPaint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
