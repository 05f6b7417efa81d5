public import Engines
import NodeState
import Policy

/// Writes a check as the documented `ctaudit.check/v1` JSON (docs/CHECK.md).
/// Field names are stable; new fields may be added, none renamed or removed.
public enum CheckJSONWriter {
    public static let schema = "ctaudit.check/v1"

    public static func render(_ report: CheckReport) -> String {
        JSONWriter.text(.pretty) { json in
            encode(report, into: &json)
            json.newline()
        }
    }

    public static func encode(_ report: CheckReport, into json: inout JSONWriter) {
        json.beginDocument(
            schema: schema, host: report.host, netns: report.netns, generatedAt: report.generatedAt,
            verdict: report.verdict.rawValue)
        json.object("policy") { json in
            json.key("allowed")
            encode(report.allowed, into: &json)
            json.array("pod_cidrs", report.podNetworks) { $0.string($1.description) }
            // With --firewall: what it admits per protocol and family, for the node's address(es).
            if let admissions = report.admissions {
                json.array("node_addresses", report.nodeAddresses) { $0.string($1.description) }
                json.object("admission") { json in
                    for admission in admissions.summarized {
                        json.key(admission.key)
                        FirewallJSON.encode(admission, into: &json)
                    }
                }
            }
        }
        json.member("inputs", report.inputs)
        json.array("port_sources", report.sources) { encode($1, into: &$0) }
        json.key("node_port_range")
        if let range = report.nodePortRange { JSONReportWriter.encode(range, into: &json) } else { json.null() }
        json.object("kernel") { json in
            json.member("release", report.kernelRelease)
            json.member("remap_offset_bits", report.remapOffsetBits)
        }
        json.array("rules", report.findings) { encode($1, into: &$0) }
        json.array("remedies", report.remedies) { JSONReportWriter.encode($1, into: &$0, withApplies: true) }
        json.member("notes", report.notes)
        json.array("dataplanes", report.dataplanes) { encode($1, into: &$0) }
        if let overlap = report.portOverlap {
            json.key("port_overlap")
            PortOverlapJSON.encode(overlap, into: &json)
        }
        json.endObject()
    }

    static func encode(_ set: PortRangeSet, into json: inout JSONWriter) {
        json.array(set.ranges) { JSONReportWriter.encode($1, into: &$0) }
    }

    static func encode(_ source: PortSource, into json: inout JSONWriter) {
        json.beginObject()
        json.key("range")
        JSONReportWriter.encode(source.range, into: &json)
        json.member("origin", source.origin.rawValue)
        json.member("users", source.users)
        // Each namespace's addresses: which rules its traffic reaches (null: declared or assumed).
        json.key("addresses")
        if let addresses = source.addresses {
            json.beginObject()
            for user in source.users {
                json.key(user)
                json.array((addresses[user] ?? []).sorted()) { $0.address($1) }
            }
            json.endObject()
        } else {
            json.null()
        }
        json.endObject()
    }

    static func encode(_ finding: RuleFinding, into json: inout JSONWriter) {
        let rule = finding.rule
        json.beginObject()
        json.member("tool", rule.tool.rawValue)
        json.member("family", rule.family.description)
        json.member("table", rule.table)
        json.member("chain", rule.chain)
        json.member("chain_path", rule.chainPath)
        if rule.tool == .nft { json.key("handle") } else { json.key("position") }
        json.int(rule.position)
        json.member("location", rule.location)
        json.member("text", rule.text)
        json.member("origin", rule.origin)
        json.member("controller", rule.controller)
        json.object("action") { json in
            json.member("type", rule.action.name)
            if case .snat(let address) = rule.action { json.member("to_source", address) }
        }
        json.object("match") { json in
            json.member("text", rule.matchText)
            json.member("protocols", rule.protocols.description)
            json.member("effective_protocols", finding.effectiveProtocols.description)
            json.member("source", rule.source)
            json.member("destination", rule.destination)
            json.member("mark", rule.mark)
            json.member("out_interface", rule.outInterface)
            json.member("comment", rule.comment)
        }
        json.object("ports") { json in
            json.key("range")
            if let range = rule.ports.range { JSONReportWriter.encode(range, into: &json) } else { json.null() }
            json.member("random", rule.ports.random)
            json.member("random_fully", rule.ports.randomFully)
            json.member("persistent", rule.ports.persistent)
            json.member("every_flow_remapped", rule.ports.remapsEveryFlow)
            json.member("can_carry_range", rule.protocols.canCarryPortRange)
        }
        json.member("in_scope", finding.inScope)
        json.member("verdict", finding.verdict.rawValue)
        json.member("reason", finding.reason)
        json.array("predictions", finding.predictions) { encode($1, into: &$0) }
        json.array("remedies", finding.remedies) { JSONReportWriter.encode($1, into: &$0) }
        json.endObject()
    }

    static func encode(_ prediction: RemapPrediction, into json: inout JSONWriter) {
        json.beginObject()
        json.key("source_ports")
        JSONReportWriter.encode(prediction.source.range, into: &json)
        json.member("source_origin", prediction.source.origin.rawValue)
        json.key("possible_ports")
        encode(prediction.possiblePorts, into: &json)
        json.key("possible_ports_outside")
        encode(prediction.possiblePortsOutside, into: &json)
        json.member("share_remapped_without_clash", number: prediction.shareRemappedWithoutClash)
        json.member("share_outside_without_clash", number: prediction.shareOutsideWithoutClash)
        json.member("share_of_remapped_outside", number: prediction.shareOfRemappedOutside)
        json.member("verdict", prediction.verdict.rawValue)
        // With --firewall only: which protocols/families, peers and ports the prediction was judged by.
        if !prediction.appliesTo.isEmpty {
            json.member("applies_to", prediction.appliesTo)
            json.member("peers", prediction.peers)
            json.key("allowed")
            encode(prediction.allowed, into: &json)
            json.key("uncertain_ports")
            encode(prediction.uncertainPorts, into: &json)
        }
        json.endObject()
    }
}
