import Conntrack
import Engines

/// audit's series about NodePort and listener overlap (`PortOverlap`), only
/// when it was looked for. Labels are bounded: `overlap` is `node-port` or
/// `listener`, `proto` `tcp` or `udp`; never a port.
extension PrometheusWriter.MetricText {
    mutating func portOverlap(_ overlap: PortOverlap?) {
        guard let overlap else { return }
        let flows = overlap.flows
        gauge(
            "ctaudit_audit_port_overlap_flows",
            "Source-NATed pod flows whose translated source port is in the NodePort range (node-port) or is a port a socket of the namespace listens on (listener): not violations.",
            [(["overlap": "listener"], Double(flows?.listenerFlows ?? 0)), (["overlap": "node-port"], Double(flows?.nodePortFlows ?? 0))])
        gauge(
            "ctaudit_audit_port_overlap_rules",
            "Source-NAT rules (when read) whose possible translated ports overlap the NodePort range (node-port) or a listening socket's port (listener).",
            [
                (["overlap": "listener"], Double(overlap.rules.filter { !$0.listeners.isEmpty }.count)),
                (["overlap": "node-port"], Double(overlap.rules.filter { !$0.nodePorts.isEmpty }.count)),
            ])
        gauge(
            "ctaudit_audit_service_node_port_range_default",
            "1 if no --service-node-port-range was found on the node and the Kubernetes default 30000-32767 was assumed.",
            overlap.nodePortRange.isDefault ? 1 : 0)
        if let listeners = overlap.listeners {
            gauge(
                "ctaudit_audit_listening_sockets",
                "Sockets of the audited namespace that receive on a port (TCP LISTEN, unconnected bound UDP), not bound to loopback only.",
                [IPProtocol.tcp, .udp].map { proto in (["proto": proto.name], Double(listeners.filter { $0.proto == proto }.count)) })
        }
    }
}
