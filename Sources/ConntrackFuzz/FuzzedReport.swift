import Conntrack
import Engines
import NodeState
import Policy
import Reports

/// Takes decoded flows through classification and every audit report
/// writer, as `ctaudit audit` would. Addresses, ports, states and ids come
/// straight from the fuzzer, so formatting code meets values no lab makes.
enum FuzzedReport {
    /// Flows from 10.0.0.0/8 and fd00::/8 are pods; 32768-65535 is allowed.
    static let policy = AuditPolicy(
        allowed: .defaultAllowed,
        podNetworks: [try! IPNetwork(parsing: "10.0.0.0/8"), try! IPNetwork(parsing: "fd00::/8")]
    )
    /// Every-flow policy: nothing is out of scope.
    static let everyFlow = AuditPolicy(allowed: .defaultAllowed, podNetworks: [])

    /// Decodes one datagram; what decodes goes on through the reports.
    static func decode(_ bytes: UnsafeRawBufferPointer) {
        // Events take the same bytes through their own path (watch's reader).
        _ = try? ConntrackEvent.decodeDatagram(bytes)
        FuzzedBPFEntry.decode(bytes)
        guard let datagram = try? FlowDecoder.decodeDatagram(bytes) else { return }
        for statistics in datagram.cpuStatistics { _ = statistics.counters }
        exercise(datagram.flows)
    }

    static func exercise(_ flows: [Flow], dataplane: Dataplane = .conntrack) {
        // A few flows reach every writer path; more only slow the fuzzer down.
        let flows = flows.prefix(4)
        guard !flows.isEmpty else { return }
        for policy in [policy, everyFlow] {
            var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: 1_750_000_000_000_000_000)
            for flow in flows {
                _ = flow.original.description
                _ = flow.reply.description
                accumulator.add(flow, dataplane: dataplane)
            }
            accumulator.setTableEntries(flows.count)
            var dump = DumpResult()
            dump.flows = flows.count
            var report = AuditReport(
                host: "fuzz", netns: "fuzz", generatedAt: "2026-01-01T00:00:00Z", policy: policy,
                summary: accumulator.summary, violations: accumulator.sortedViolations(), dump: dump,
                tableSize: TableSize(entries: UInt32(truncatingIfNeeded: flows.count), maximum: 262_144),
                translatedPorts: accumulator.translatedPorts, durationSeconds: 0.001
            )
            if dataplane != .conntrack {
                report.dataplanes = DataplaneSurvey(
                    bpffs: "/sys/fs/bpf",
                    maps: [
                        DataplaneMapReading(
                            dataplane: dataplane, path: "/sys/fs/bpf/tc/globals/fuzz",
                            outcome: .read(entries: 2, translations: 1, malformed: 0, unpaired: 0))
                    ])
            }
            _ = JSONReportWriter.render(report)
            _ = TextReportWriter(color: true).render(report)
            _ = NDJSONWriter.render(report)
            _ = PrometheusWriter.render(report, timestamp: 1_750_000_000)
            _ = HTMLReportWriter().render(report)
        }
    }
}
