import Conntrack
import Engines

/// The `port_overlap` object audit's and check's JSON share (docs/JSON.md):
/// the NodePort range and where it came from, the listening sockets, and
/// the flows or rules that land on either. Present only when looked for.
enum PortOverlapJSON {
    static func encode(_ overlap: PortOverlap, into json: inout JSONWriter) {
        json.beginObject()
        json.member("found", overlap.hasFindings)
        json.key("service_node_port_range")
        JSONReportWriter.encode(overlap.nodePortRange.range, into: &json)
        json.member("service_node_port_range_file", overlap.nodePortRange.file)
        json.member("service_node_port_range_default", overlap.nodePortRange.isDefault)
        json.key("listeners")
        if let listeners = overlap.listeners {
            json.array(listeners) { encode($1, into: &$0) }
        } else {
            json.null()
        }
        json.member("listeners_error", overlap.listenersError)
        json.key("flows")
        if let flows = overlap.flows {
            json.beginObject()
            json.member("node_port", flows.nodePortFlows)
            json.member("listener", flows.listenerFlows)
            json.array("listeners_hit", flows.listenersHit.sorted()) { encode($1, into: &$0) }
            json.array("examples", flows.examples) { JSONReportWriter.encode($1, into: &$0) }
            json.endObject()
        } else {
            json.null()
        }
        json.array("rules", overlap.rules) { json, rule in
            json.beginObject()
            json.member("location", rule.rule.location)
            json.member("rule", rule.rule.text)
            json.key("possible_ports")
            CheckJSONWriter.encode(rule.possiblePorts, into: &json)
            json.key("node_ports")
            CheckJSONWriter.encode(rule.nodePorts, into: &json)
            json.array("listeners", rule.listeners) { encode($1, into: &$0) }
            json.endObject()
        }
        json.endObject()
    }

    static func encode(_ socket: ListeningSocket, into json: inout JSONWriter) {
        json.beginObject()
        json.member("proto", socket.proto.name)
        json.member("address", socket.address)
        json.member("port", Int(socket.port))
        json.endObject()
    }
}
