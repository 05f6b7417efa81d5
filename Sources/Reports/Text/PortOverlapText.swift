import Engines
import Policy

/// The "NodePort and listener overlap" section audit and check print when
/// NAT gives (or can give) pod traffic a port the node itself serves. Its
/// own finding, beside the verdict, never part of it.
enum PortOverlapText {
    static func lines(
        _ overlap: PortOverlap, evidence: (Violation) -> String = { _ in "" },
        yellow: (String) -> String
    ) -> [String] {
        guard overlap.hasFindings else { return [] }
        let range = overlap.nodePortRange
        var lines = [
            "",
            yellow("port overlap:") + " NodePort range \(range.range)"
                + (range.file.map { " (from \($0))" } ?? " (the Kubernetes default; no --service-node-port-range found on the node)")
                + "; not a firewall violation and not part of the verdict",
        ]
        if let flows = overlap.flows, flows.total > 0 {
            if flows.nodePortFlows > 0 {
                lines.append(
                    "    \(flows.nodePortFlows) flow(s) translated onto the NodePort range: kube-proxy (or Cilium) DNATs these ports to Services on every node"
                )
            }
            if flows.listenerFlows > 0 {
                let hit = flows.listenersHit.sorted().prefix(8).map(\.description).joined(separator: ", ")
                lines.append("    \(flows.listenerFlows) flow(s) translated onto a port a socket of this namespace listens on (\(hit))")
            }
            for example in flows.examples { lines.append("      " + evidence(example)) }
        }
        for rule in overlap.rules {
            var what: [String] = []
            if !rule.nodePorts.isEmpty { what.append("NodePorts \(rule.nodePorts)") }
            if !rule.listeners.isEmpty { what.append("listening port(s) \(rule.listenerPortWords)") }
            lines.append(
                "    \(rule.rule.location) can translate onto " + what.joined(separator: " and ")
                    + " (possible ports \(rule.possiblePorts))")
        }
        if let error = overlap.listenersError {
            lines.append("    listening sockets not read: \(error)")
        } else if overlap.listeners == nil {
            lines.append("    listening sockets not read (offline)")
        }
        lines.append("    a NAT port range clear of both (e.g. \(suggestion(overlap))) keeps translated ports off them")
        return lines
    }

    /// A range above the NodePort range and the listeners, or the default above 32767.
    static func suggestion(_ overlap: PortOverlap) -> String {
        let low = max(32768, Int(overlap.nodePortRange.range.high) + 1)
        let listeners = (overlap.listeners ?? []).map(\.port).filter { Int($0) >= low }
        guard low <= 65535 else { return "a range below \(overlap.nodePortRange.range.low)" }
        return listeners.isEmpty
            ? "--to-ports \(low)-65535"
            : "--to-ports \(low)-65535 without \(Set(listeners).sorted().map(String.init).joined(separator: ", "))"
    }
}
