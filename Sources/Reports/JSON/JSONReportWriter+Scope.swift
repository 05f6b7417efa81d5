import Conntrack
public import Engines
import Policy

/// `outside_pod_networks` in `ctaudit.audit/v1` (docs/JSON.md): the source-NATed
/// flows from outside the pod networks, summarized; NDJSON's scope line reuses it.
extension JSONReportWriter {
    public static func encode(_ outside: OutsidePodFlows, into json: inout JSONWriter) {
        json.beginObject()
        json.member("flows", outside.flows)
        json.member("would_violate", outside.wouldViolate)
        json.member("would_violate_unreplied", outside.wouldViolateUnreplied)
        json.object("summarized_to") { json in
            json.member("ipv4", outside.sources.prefixLength(.ipv4))
            json.member("ipv6", outside.sources.prefixLength(.ipv6))
        }
        json.array("sources", outside.sources.entries) { json, entry in
            json.beginObject()
            json.member("network", entry.network.description)
            json.member("flows", entry.flows)
            json.member("would_violate", entry.wouldViolate)
            json.endObject()
        }
        json.array("examples", outside.examples) { encode($1, into: &$0) }
        json.endObject()
    }
}
