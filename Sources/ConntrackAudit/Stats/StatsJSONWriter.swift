import Conntrack

/// Writes `stats` as the documented `ctaudit.stats/v1` JSON (docs/STATS.md).
/// Shares are fractions (0 to 1, six decimals).
public enum StatsJSONWriter {
    public static let schema = "ctaudit.stats/v1"

    /// `top`: port-pressure groups listed (0 = all); `groups` always counts all.
    public static func render(_ report: StatsReport, top: Int = 0) -> String {
        document(report, top: top).serialized(indent: 2) + "\n"
    }

    public static func document(_ report: StatsReport, top: Int = 0) -> JSONValue {
        let listed = top > 0 ? Array(report.pressures.prefix(top)) : report.pressures
        let fill: JSONValue = report.tableFillPPM.map { JSONValue.number(Double($0) / 1_000_000) } ?? .null
        let maximum: JSONValue = report.tableSize.maximum.map { JSONValue.int(Int($0)) } ?? .null
        return .object([
            ("schema", .string(schema)),
            ("host", .string(report.host)),
            ("netns", report.netns.map(JSONValue.string) ?? .null),
            ("generated_at", .string(report.generatedAt)),
            ("policy", .object([
                ("allowed", .array(report.policy.allowed.ranges.map(JSONReportWriter.range))),
                ("pod_cidrs", .array(report.policy.podNetworks.map { .string($0.description) })),
                ("exclude_dst", .array(report.policy.excludedDestinations.map { .string($0.description) })),
            ])),
            ("table", .object([
                ("entries", .int(Int(report.tableSize.entries))),
                ("max", maximum),
                ("fill", fill),
            ])),
            ("totals", counters(report.total)),
            ("per_cpu", .array(report.cpus.map(counters))),
            ("nat", .object([
                ("flows_read", .int(report.flowsRead)),
                ("snat", .int(report.snat)),
                ("allowed_ports", .int(report.policy.allowed.count)),
                ("groups", .int(report.pressures.count)),
                ("port_pressure", .array(listed.map(pressure))),
            ])),
        ])
    }

    static func counters(_ stats: CPUStatistics) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if let cpu = stats.cpu { members.append(("cpu", .int(cpu))) }
        for (name, value) in stats.counters { members.append((name, .int(Int(clamping: value)))) }
        return .object(members)
    }

    static func share(_ group: PortPressure) -> Double {
        group.allowedPorts == 0 ? 0 : Double(group.portsInAllowed) / Double(group.allowedPorts)
    }

    static func pressure(_ group: PortPressure) -> JSONValue {
        .object([
            ("translated", .string(group.translated.description)),
            ("dst", .string(group.destination.description)),
            ("dport", .int(Int(group.destinationPort))),
            ("proto", .string(group.proto.name)),
            ("ports_in_use", .int(group.portsInUse)),
            ("ports_in_allowed", .int(group.portsInAllowed)),
            ("allowed_ports", .int(group.allowedPorts)),
            ("share", .number(share(group))),
            ("snat", .int(group.snat)),
            ("remapped", .int(group.remapped)),
            ("violations", .int(group.violations)),
        ])
    }
}
