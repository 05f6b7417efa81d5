import Conntrack
public import Engines

/// Writes `stats` as the documented `ctaudit.stats/v1` JSON (docs/STATS.md).
/// Shares are fractions (0 to 1, six decimals).
public enum StatsJSONWriter {
    public static let schema = "ctaudit.stats/v1"

    /// `top`: port-pressure groups listed (0 = all); `groups` always counts all.
    public static func render(_ report: StatsReport, top: Int = 0) -> String {
        JSONWriter.text(.pretty) { json in
            encode(report, top: top, into: &json)
            json.newline()
        }
    }

    public static func encode(_ report: StatsReport, top: Int = 0, into json: inout JSONWriter) {
        let listed = top > 0 ? Array(report.pressures.prefix(top)) : report.pressures
        json.beginObject()
        json.member("schema", schema)
        json.member("host", report.host)
        json.member("netns", report.netns)
        json.member("generated_at", report.generatedAt)
        json.object("policy") { json in
            json.array("allowed", report.policy.allowed.ranges) { JSONReportWriter.encode($1, into: &$0) }
            json.array("pod_cidrs", report.policy.podNetworks) { $0.string($1.description) }
            json.array("exclude_dst", report.policy.excludedDestinations) { $0.string($1.description) }
        }
        json.object("table") { json in
            json.member("entries", Int(report.tableSize.entries))
            json.member("max", report.tableSize.maximum.map { Int($0) })
            json.key("fill")
            if let fill = report.tableFillPPM { json.number(Double(fill) / 1_000_000) } else { json.null() }
        }
        json.key("totals")
        encode(report.total, into: &json)
        json.array("per_cpu", report.cpus) { encode($1, into: &$0) }
        json.object("nat") { json in
            json.member("flows_read", report.flowsRead)
            json.member("snat", report.snat)
            json.member("allowed_ports", report.policy.allowed.count)
            json.member("groups", report.pressures.count)
            json.array("port_pressure", listed) { encode($1, into: &$0) }
        }
        json.endObject()
    }

    static func encode(_ stats: CPUStatistics, into json: inout JSONWriter) {
        json.beginObject()
        if let cpu = stats.cpu { json.member("cpu", cpu) }
        for (name, value) in stats.counters {
            json.key(name)
            json.int(Int(clamping: value))
        }
        json.endObject()
    }

    static func share(_ group: PortPressure) -> Double {
        group.allowedPorts == 0 ? 0 : Double(group.portsInAllowed) / Double(group.allowedPorts)
    }

    static func encode(_ group: PortPressure, into json: inout JSONWriter) {
        json.beginObject()
        json.member("translated", group.translated.description)
        json.member("dst", group.destination.description)
        json.member("dport", Int(group.destinationPort))
        json.member("proto", group.proto.name)
        json.member("ports_in_use", group.portsInUse)
        json.member("ports_in_allowed", group.portsInAllowed)
        json.member("allowed_ports", group.allowedPorts)
        json.member("share", number: share(group))
        json.member("snat", group.snat)
        json.member("remapped", group.remapped)
        json.member("violations", group.violations)
        json.endObject()
    }
}
