import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("watch metrics text")
struct WatchMetricsWriterTests {
    @Test("the metrics text has every counter, bounded labels, and the start time where it belongs")
    func metricsText() {
        var tracker = WatchTracker(policy: WatchFixtures.policy)
        _ = WatchFixtures.feed(&tracker, .new, WatchFixtures.violation(id: 1))
        _ = WatchFixtures.feed(&tracker, .destroy, WatchFixtures.violation(id: 1))
        tracker.noteSocket(eventsLost: 12, overruns: 1, malformed: 0)
        let context = WatchMetricsWriter.Context(startTimeSeconds: 1_700_000_000.25, allowed: WatchFixtures.policy.allowed)
        let http = WatchMetricsWriter.render(tracker.counters, tracker.summary, context: context, target: .http)
        #expect(
            http.contains(
                "ctaudit_watch_violation_flows_total{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"tcp\"} 1\n"))
        #expect(
            http.contains(
                "ctaudit_watch_violation_unreplied_flows_total{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"tcp\"} 1\n"
            ))
        #expect(
            http.contains(
                "ctaudit_watch_violation_flows_total{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv6\",proto=\"udp\"} 0\n"))
        #expect(
            http.contains(
                "ctaudit_watch_snat_flows_total{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"tcp\"} 1\n"))
        #expect(
            http.contains(
                "ctaudit_watch_violation_flows{allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"ipv4\",proto=\"tcp\"} 0\n"))
        #expect(http.contains("ctaudit_watch_events_lost_total 12\n") && http.contains("ctaudit_watch_resyncs_total 0\n"))
        #expect(http.contains("ctaudit_watch_up 1\n") && http.contains("process_start_time_seconds 1700000000.25\n"))
        #expect(http.contains("# TYPE ctaudit_watch_violation_flows_total counter\n"))
        // A node without BPF NAT has no unwatched-dataplane series; one with it says which.
        #expect(!http.contains("ctaudit_watch_unwatched_dataplane"))
        var onCilium = context
        onCilium.unwatchedDataplanes = [.cilium]
        let cilium = WatchMetricsWriter.render(tracker.counters, tracker.summary, context: onCilium, target: .http)
        #expect(cilium.contains("ctaudit_watch_unwatched_dataplane{dataplane=\"cilium\"} 1\n"))
        let file = WatchMetricsWriter.render(tracker.counters, tracker.summary, context: context, target: .textfile)
        #expect(!file.contains("process_start_time_seconds") && file.contains("ctaudit_watch_start_time_seconds 1700000000.25\n"))
    }
}
