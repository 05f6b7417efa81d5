public import Conntrack

/// Writes an audit as the documented `ctaudit.audit/v1` JSON (docs/JSON.md).
/// Field names are stable; new fields may be added, none renamed or removed.
public enum JSONReportWriter {
    public static let schema = "ctaudit.audit/v1"

    public static func render(_ report: AuditReport) -> String {
        var text = ""
        write(report) { text += $0 }
        return text
    }

    /// Writes the document in chunks of about 64 KiB. The two lists that grow
    /// with the table (violations, offenders) are encoded item by item straight
    /// into bytes: memory stays proportional to the violations kept, not to
    /// the size of the text, and tens of thousands of violations cost
    /// milliseconds, not a tree of values each.
    public static func write(_ report: AuditReport, to sink: (String) -> Void) {
        let offenders = report.offenders
        let members = documentMembers(report, violations: [], offenders: [])
        let chunkSize = 64 * 1024
        var chunk = JSONByteBuffer(capacity: chunkSize + 16 * 1024)
        var encoder = ReportItemJSONEncoder()
        func flushIfLarge() {
            if chunk.count >= chunkSize {
                sink(String(decoding: chunk.bytes, as: UTF8.self))
                chunk.removeAll()
            }
        }
        func streamArray<Item>(_ items: [Item], _ encode: (Item, inout JSONByteBuffer) -> Void) {
            chunk.append("[\n")
            for (position, item) in items.enumerated() {
                chunk.pad(4)
                encode(item, &chunk)
                chunk.append(position < items.count - 1 ? ",\n" : "\n")
                flushIfLarge()
            }
            chunk.append("  ]")
        }
        chunk.append("{\n")
        for (index, (key, value)) in members.enumerated() {
            chunk.pad(2)
            var text = ""
            JSONValue.escape(key, into: &text)
            text += ": "
            if key == "violations" && !report.violations.isEmpty {
                chunk.append(text)
                streamArray(report.violations) { encoder.append($0, to: &$1) }
            } else if key == "offenders" && !offenders.isEmpty {
                chunk.append(text)
                streamArray(offenders) { encoder.append($0, to: &$1) }
            } else {
                value.write(into: &text, indent: 2, level: 1)
                chunk.append(text)
            }
            chunk.append(index < members.count - 1 ? ",\n" : "\n")
            flushIfLarge()
        }
        chunk.append("}\n")
        sink(String(decoding: chunk.bytes, as: UTF8.self))
    }

    public static func document(_ report: AuditReport) -> JSONValue {
        .object(documentMembers(report, violations: report.violations, offenders: report.offenders))
    }

    private static func documentMembers(
        _ report: AuditReport, violations: [Violation], offenders: [OffenderGroup]
    ) -> [(String, JSONValue)] {
        let summary = report.summary
        return [
            ("schema", .string(schema)),
            ("host", .string(report.host)),
            ("netns", report.netns.map(JSONValue.string) ?? .null),
            ("generated_at", .string(report.generatedAt)),
            ("policy", .object([
                ("allowed", .array(report.policy.allowed.ranges.map(range))),
                ("pod_cidrs", .array(report.policy.podNetworks.map { .string($0.description) })),
                ("exclude_dst", .array(report.policy.excludedDestinations.map { .string($0.description) })),
                ("pod_cidrs_source", .string(report.kubernetes.podCIDRsSource.rawValue)),
                ("pod_cidrs_from", report.kubernetes.configuredFrom.map(JSONValue.string) ?? .null),
                ("pod_cidrs_found", .array(report.kubernetes.discoveredNetworks.map(discoveredNetwork))),
            ])),
            ("summary", .object([
                ("flows", .int(summary.flows)),
                ("snat", .int(summary.snat)),
                ("remapped", .int(summary.remapped)),
                ("violations", .int(summary.violations)),
                ("violations_unreplied", .int(summary.violationsUnreplied)),
                ("violations_kept_port", .int(summary.violationsKeptPort)),
                ("out_of_scope", .int(summary.outOfScope)),
                ("without_ports", .int(summary.withoutPorts)),
            ])),
            ("dump", .object([
                ("flows_read", .int(summary.flowsRead)),
                ("kernel_filtered", .bool(report.dump.kernelFiltered)),
                ("malformed", .int(report.dump.malformed)),
                ("duplicates", .int(report.dump.duplicates)),
                ("interrupted", .bool(report.dump.interrupted)),
                ("table_max", report.tableSize?.maximum.map { .int(Int($0)) } ?? .null),
            ])),
            ("violations", .array(violations.map(violation))),
            ("offenders", .array(offenders.map(offender))),
            ("remedies", .array(report.remedies.map(remedy))),
            ("kubernetes", kubernetes(report.kubernetes)),
            ("dataplanes", dataplanes(report)),
        ]
    }

    public static func range(_ range: PortRange) -> JSONValue {
        .object([("low", .int(Int(range.low))), ("high", .int(Int(range.high)))])
    }

    public static func tuple(_ tuple: Tuple) -> JSONValue {
        .object([
            ("src", .string(tuple.source.description)),
            ("sport", tuple.proto.carriesPorts ? .int(Int(tuple.sourcePort)) : .null),
            ("dst", .string(tuple.destination.description)),
            ("dport", tuple.proto.carriesPorts ? .int(Int(tuple.destinationPort)) : .null),
        ])
    }

    /// One violation; also the body of `watch --format ndjson` lines.
    public static func violation(_ violation: Violation) -> JSONValue {
        let flow = violation.flow
        return .object([
            ("id", flow.id.map { .int(Int($0)) } ?? .null),
            ("proto", .string(flow.proto.name)),
            ("family", .string(flow.family.description)),
            ("original", tuple(flow.original)),
            ("reply", tuple(flow.reply)),
            ("translated", .object([
                ("src", .string(flow.translatedSource.description)),
                ("sport", .int(Int(flow.translatedSourcePort))),
            ])),
            ("remapped", .bool(flow.isPortRemapped)),
            ("state", flow.protocolState.map { .string($0.name) } ?? .null),
            ("unreplied", .bool(flow.isUnreplied)),
            ("assured", .bool(flow.isAssured)),
            ("timeout", flow.timeout.map { .int(Int($0)) } ?? .null),
            ("mark", .int(Int(flow.mark))),
            ("zone", .int(Int(flow.zone))),
            ("age", violation.ageSeconds.map { .int(Int($0)) } ?? .null),
            ("pod", violationPod(violation)),
            ("dataplane", .string(violation.dataplane.rawValue)),
        ])
    }

    /// The `pod` object of one violation: its identity, or only its address
    /// when attribution did not run.
    static func violationPod(_ violation: Violation) -> JSONValue {
        violation.pod.map(pod) ?? pod(notLookedUp: violation.podSource)
    }

    static func offender(_ group: OffenderGroup) -> JSONValue {
        .object([
            ("pod", .string(group.podSource.description)),
            ("dst", .string(group.destination.description)),
            ("dport", .int(Int(group.destinationPort))),
            ("proto", .string(group.proto.name)),
            ("violations", .int(group.violations)),
            ("unreplied", .int(group.unreplied)),
            ("remapped", .int(group.remapped)),
            ("translated_ports", .array(group.translatedPorts.map { .int(Int($0)) })),
        ])
    }

    static func remedy(_ remedy: Remedy) -> JSONValue {
        .object([
            ("kind", .string(remedy.kind.rawValue)),
            ("summary", .string(remedy.summary)),
            ("commands", .array(remedy.commands.map(JSONValue.string))),
        ])
    }
}
