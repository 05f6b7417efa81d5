import Conntrack
import Engines
import Policy

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
            json.array("node_addresses", policy.nodeAddresses) { $0.string($1.description) }
            let table = policy.admissions
            // {"tcp/ipv4": [{"low": 32768, "high": 65535}], "udp/ipv4": [], ...}: for every peer, for the node's address(es).
            json.object("admitted") { json in
                for admission in table.summarized {
                    json.key(admission.key)
                    json.beginArray()
                    for range in admission.admittedForEveryPeer.ranges { JSONReportWriter.encode(range, into: &json) }
                    json.endArray()
                }
            }
            // The same questions with the answer's shape kept: per peer group, uncertain and rate-limited ports.
            json.object("admission") { json in
                for admission in table.summarized {
                    json.key(admission.key)
                    encode(admission, into: &json)
                }
            }
        }
    }

    static func encode(_ admission: ReplyAdmission, into json: inout JSONWriter) {
        json.beginObject()
        json.member("words", admission.words)
        json.member("node", admission.node?.description)
        json.array("peers", admission.groups) { json, group in encode(group, into: &json) }
        json.array("by_node", admission.byNode) { json, answer in
            json.beginObject()
            json.member("nodes", answer.nodes)
            json.array("peers", answer.groups) { json, group in encode(group, into: &json) }
            json.endObject()
        }
        json.endObject()
    }

    static func encode(_ group: ReplyAdmission.PeerGroup, into json: inout JSONWriter) {
        json.beginObject()
        json.member("peers", group.peers)
        json.array("admitted", group.admitted.ranges) { JSONReportWriter.encode($1, into: &$0) }
        json.array("uncertain", group.uncertain.ranges) { JSONReportWriter.encode($1, into: &$0) }
        json.array("rate_limited", group.rateLimited.ranges) { JSONReportWriter.encode($1, into: &$0) }
        json.endObject()
    }

    static func encode(_ decision: FirewallDecision, into json: inout JSONWriter) {
        json.beginObject()
        json.member("accepts", decision.accepts)
        json.member("outcome", decision.outcome.rawValue)
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
