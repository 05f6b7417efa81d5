public import Conntrack
public import Engines
import NodeState
public import Policy

/// Writes an audit as the documented `ctaudit.audit/v1` JSON (docs/JSON.md).
/// Field names are stable; new fields may be added, none renamed or removed.
/// Each object of the schema is encoded here once; NDJSON and watch lines
/// reuse `encodeMembers(of:into:)` for their violation fields.
public enum JSONReportWriter {
    public static let schema = AuditReport.jsonSchema

    public static func render(_ report: AuditReport) -> String {
        var text = ""
        write(report) { text += $0 }
        return text
    }

    /// Writes the document in chunks of about 64 KiB: memory stays
    /// proportional to the violations kept, not to the size of the text.
    public static func write(_ report: AuditReport, to sink: (String) -> Void) {
        JSONWriter.stream(.pretty, to: sink) { json in
            encode(report, into: &json)
            json.newline()
        }
    }

    /// As `write(_:to:)`, in UTF-8 byte chunks valid only during each call.
    public static func write(_ report: AuditReport, toBytes sink: (UnsafeBufferPointer<UInt8>) -> Void) {
        JSONWriter.stream(.pretty, toBytes: sink) { json in
            encode(report, into: &json)
            json.newline()
        }
    }

    public static func encode(_ report: AuditReport, into json: inout JSONWriter) {
        let summary = report.summary
        json.beginDocument(
            schema: schema, host: report.host, netns: report.netns, generatedAt: report.generatedAt,
            verdict: report.verdict.rawValue)
        json.object("policy") { json in
            json.array("allowed", report.policy.allowed.ranges) { encode($1, into: &$0) }
            json.array("pod_cidrs", report.policy.podNetworks) { $0.string($1.description) }
            json.array("exclude_dst", report.policy.excludedDestinations) { $0.string($1.description) }
            json.array("service_cidrs", report.policy.serviceNetworks) { $0.string($1.description) }
            json.member("pod_cidrs_source", report.kubernetes.podCIDRsSource.rawValue)
            json.member("pod_cidrs_from", report.kubernetes.configuredFrom)
            json.array("pod_cidrs_found", report.kubernetes.discoveredNetworks) { encode($1, into: &$0) }
            FirewallJSON.encodePolicy(report.policy, into: &json)
        }
        json.object("summary") { json in
            json.member("flows", summary.flows)
            json.member("snat", summary.snat)
            json.member("remapped", summary.remapped)
            json.member("violations", summary.violations)
            json.member("violations_unreplied", summary.violationsUnreplied)
            json.member("violations_kept_port", summary.violationsKeptPort)
            json.member("out_of_scope", summary.outOfScope)
            json.member("without_ports", summary.withoutPorts)
            json.member("node_local", summary.nodeLocal)
            json.member("outside_pod_networks", summary.outsidePodNetworks.flows)
            json.member("outside_pod_networks_would_violate", summary.outsidePodNetworks.wouldViolate)
            json.member("pods_blocked", report.blockedPods.count)
            // Only with --firewall: a rule ctaudit cannot judge decides these (docs/FIREWALL.md).
            if report.policy.firewall != nil {
                json.member("uncertain", summary.uncertain)
                json.member("uncertain_unreplied", summary.uncertainUnreplied)
            }
        }
        json.object("dump") { json in
            json.member("flows_read", summary.flowsRead)
            json.member("kernel_filtered", report.dump.kernelFiltered)
            json.member("malformed", report.dump.malformed)
            json.member("duplicates", report.dump.duplicates)
            json.member("interrupted", report.dump.interrupted)
            json.member("table_max", report.tableSize?.maximum.map { Int($0) })
        }
        precondition(report.violations.isComplete, "JSON lists every violation: audit with retention .all")
        json.array("violations", report.violations) { encode($1, decision: report.firewallDecision(for: $1), into: &$0) }
        json.array("offenders", report.offenders) { encode($1, into: &$0) }
        // Only with --firewall, so reports judged by --allow keep their exact shape.
        if report.policy.firewall != nil {
            json.array("firewall_drops", report.firewallDrops) { FirewallJSON.encode($1, into: &$0) }
            json.array("firewall_uncertain", report.firewallUncertain) { FirewallJSON.encode($1, into: &$0) }
            json.array("uncertain_flows", report.uncertainFlows) { encode($1, decision: report.firewallDecision(for: $1), into: &$0) }
        }
        json.array("remedies", report.remedies) { encode($1, into: &$0, withApplies: true) }
        // Listed with --node-local (empty otherwise); summary.node_local counts them always.
        json.array("node_local", report.nodeLocalFlows) { encode($1, into: &$0) }
        json.key("outside_pod_networks")
        encode(summary.outsidePodNetworks, into: &json)
        json.object("nat_rules") { json in
            json.member("seen", report.natRulesSeen)
            json.member("error", report.natRulesError)
        }
        if let overlap = report.portOverlap {
            json.key("port_overlap")
            PortOverlapJSON.encode(overlap, into: &json)
        }
        json.key("kubernetes")
        encode(report.kubernetes, into: &json)
        json.key("dataplanes")
        encodeDataplanes(of: report, into: &json)
        json.endObject()
    }

    public static func encode(_ range: PortRange, into json: inout JSONWriter) {
        json.beginObject()
        json.member("low", Int(range.low))
        json.member("high", Int(range.high))
        json.endObject()
    }

    public static func encode(_ tuple: Tuple, into json: inout JSONWriter) {
        let ports = tuple.proto.carriesPorts
        json.beginObject()
        json.member("src", tuple.source)
        json.member("sport", ports ? Int(tuple.sourcePort) : nil)
        json.member("dst", tuple.destination)
        json.member("dport", ports ? Int(tuple.destinationPort) : nil)
        json.endObject()
    }

    /// One `violations[]` entry.
    public static func encode(_ violation: Violation, decision: FirewallDecision? = nil, into json: inout JSONWriter) {
        json.beginObject()
        encodeMembers(of: violation, decision: decision, into: &json)
        json.endObject()
    }

    /// The members of a `violations[]` entry, into an object the caller
    /// opened: NDJSON and watch lines put their own context around them.
    /// `decision`: the deciding firewall rule (`--firewall` only), written as `rule`.
    public static func encodeMembers(of violation: Violation, decision: FirewallDecision? = nil, into json: inout JSONWriter) {
        let flow = violation.flow
        json.member("id", flow.id.map(Int.init))
        json.member("proto", flow.proto.name)
        json.member("family", flow.family.description)
        json.key("original")
        encode(flow.original, into: &json)
        json.key("reply")
        encode(flow.reply, into: &json)
        json.object("translated") { json in
            json.member("src", flow.translatedSource)
            json.member("sport", Int(flow.translatedSourcePort))
        }
        json.member("remapped", flow.isPortRemapped)
        json.member("state", flow.protocolState?.name)
        json.member("unreplied", flow.isUnreplied)
        json.member("assured", flow.isAssured)
        json.member("timeout", flow.timeout.map(Int.init))
        json.member("mark", Int(flow.mark))
        json.member("zone", Int(flow.zone))
        // Directional zones (-j CT --zone-orig/--zone-reply), as conntrack prints them.
        json.member("zone_orig", flow.originalZone.map(Int.init))
        json.member("zone_reply", flow.replyZone.map(Int.init))
        json.member("age", violation.ageSeconds.map(Int.init))
        json.key("pod")
        // The identity when attribution ran, else only the address.
        if let pod = violation.pod {
            encode(pod, lookup: PodLookup(pod), into: &json)
        } else {
            encode(PodIdentity(ip: violation.podSource), lookup: .disabled, into: &json)
        }
        json.member("dataplane", violation.dataplane.rawValue)
        if let decision {
            json.key("rule")
            FirewallJSON.encode(decision, into: &json)
        }
    }

    public static func encode(_ group: OffenderGroup, into json: inout JSONWriter) {
        json.beginObject()
        json.member("pod", group.podSource)
        json.member("dst", group.destination)
        json.member("dport", Int(group.destinationPort))
        json.member("proto", group.proto.name)
        json.member("violations", group.violations)
        json.member("unreplied", group.unreplied)
        json.member("remapped", group.remapped)
        json.array("translated_ports", group.translatedPorts) { $0.int(Int($1)) }
        json.endObject()
    }

    /// `withApplies`: a report's own list of fixes says where each stands
    /// (`applies`: true for the one marked "applies here", false for another
    /// setup, null for an alternative or a generic form; `role` in words); a
    /// check rule's own fixes are all for that rule.
    public static func encode(_ remedy: Remedy, into json: inout JSONWriter, withApplies: Bool = false) {
        json.beginObject()
        json.member("kind", remedy.kind.rawValue)
        json.member("summary", remedy.summary)
        json.member("commands", remedy.commands)
        if withApplies {
            json.key("applies")
            if let applies = remedy.appliesHere { json.bool(applies) } else { json.null() }
            json.member("role", remedy.role.rawValue)
        }
        json.endObject()
    }
}
