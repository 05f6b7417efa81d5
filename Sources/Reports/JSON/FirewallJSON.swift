import Conntrack
import Policy
import Engines

/// The `--firewall` parts of `ctaudit.audit/v1` (docs/FIREWALL.md): present
/// only when a firewall file judged the flows, so `--allow` reports keep their shape.
enum FirewallJSON {
    /// `policy.firewall`: the files, admitted ports and notes.
    static func encodePolicy(_ policy: AuditPolicy, into json: inout JSONWriter) {
        guard let firewall = policy.firewall else { return }
        json.object("firewall") { json in
            json.member("stateful", firewall.isStateful)
            json.array("sources", firewall.sources) { json, source in
                json.beginObject()
                json.member("path", source.path)
                json.member("format", source.format.rawValue)
                json.member("rules", source.rules)
                json.member("stateful", source.statefulReason != nil)
                json.member("no_port_range_because", source.statefulReason)
                json.member("notes", source.notes)
                json.endObject()
            }
            // {"tcp/ipv4": [{"low": 32768, "high": 65535}], "udp/ipv4": [], ...}
            json.object("admitted") { json in
                for family in [IPAddress.Family.ipv4, .ipv6] {
                    for proto in [IPProtocol.tcp, .udp] {
                        json.key("\(proto.name)/\(family)")
                        json.beginArray()
                        for range in firewall.admittedPorts(proto, family: family).ranges {
                            JSONReportWriter.encode(range, into: &json)
                        }
                        json.endArray()
                    }
                }
            }
        }
    }

    static func encode(_ decision: FirewallDecision, into json: inout JSONWriter) {
        json.beginObject()
        json.member("accepts", decision.accepts)
        json.member("decided_by", decision.decidedBy)
        json.member("file", decision.origin)
        json.member("packet", decision.packet)
        json.endObject()
    }

    static func encode(_ drop: FirewallDrop, into json: inout JSONWriter) {
        json.beginObject()
        json.member("decided_by", drop.decidedBy)
        json.member("file", drop.origin)
        json.member("proto", drop.proto.name)
        json.member("family", drop.family.description)
        json.member("flows", drop.flows)
        json.member("unreplied", drop.unreplied)
        json.member("lowest_port", Int(drop.lowestPort))
        json.member("highest_port", Int(drop.highestPort))
        json.endObject()
    }
}
