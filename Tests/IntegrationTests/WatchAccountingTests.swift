import Foundation
import Testing

/// Every event the kernel generated is either handled or counted as lost:
/// a flood of NEW and DESTROY events overflows a tiny receive buffer, and the
/// watch's counts (summary and the counters mode's textfile) add up to what
/// the flood says the kernel accepted.
@Suite(
    "watch event accounting under overflow (binary)", .serialized,
    .enabled(if: Shell.isRoot && Shell.has("gcc") && Shell.has("pkg-config"), "needs root, gcc and pkg-config (libmnl-dev)"))
struct WatchAccountingTests {
    static let entries = 20000

    @Test("flooded until overflow: events + events_lost (+ malformed) = events generated, in the summary and the counters")
    func handledPlusLostIsGenerated() throws {
        let flood = try CTFlood.binary.get()
        let namespace = Lab.uniquePrefix("wa")
        try Shell.sh("ip netns add \(namespace)")
        defer { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", namespace]) }
        let textfile = FileManager.default.temporaryDirectory.appendingPathComponent("\(namespace).prom").path
        defer { try? FileManager.default.removeItem(atPath: textfile) }

        let watch = try WatchProcess([
            "--netns", namespace, "--format", "ndjson", "--receive-buffer", "4096",
            "--textfile", textfile, "--interval", "1",
        ])
        try watch.waitUntilWatching()
        // Entries created within a fraction of a second of the subscription
        // were seen to get no events at all at flood rates (docs/WATCH.md).
        Thread.sleep(forTimeInterval: 1)
        // Created and deleted: a NEW and a DESTROY per entry.
        let result = try Shell.sh("ip netns exec \(namespace) \(flood) --entries \(Self.entries) --violation-percent 5 --rate 40000")
        let generated = try #require(
            result.stdout.split(separator: " ").first { $0.hasPrefix("events=") }
                .flatMap { Int($0.dropFirst("events=".count)) })
        #expect(result.stdout.contains("errors=0"), "\(result.stdout)")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(watch.interrupt() == 1)

        let summary = try #require(watch.summary, "\(watch.stderr)")
        let events = try #require(summary["events"] as? Int)
        let lost = try #require(summary["events_lost"] as? Int)
        let malformed = summary["malformed"] as? Int ?? 0
        #expect(lost > 0, "the 4 KiB buffer must overflow for this test to mean anything")
        #expect(summary["events_lost_exact"] as? Bool == true)
        #expect(events + lost + malformed == generated, "handled \(events) + lost \(lost) + malformed \(malformed) vs \(generated)")

        // The counters mode's last textfile says the same.
        let text = try String(contentsOfFile: textfile, encoding: .utf8)
        func value(_ name: String) -> Int? {
            text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last!) }
        }
        #expect(value("ctaudit_watch_events_total") == events)
        #expect(value("ctaudit_watch_events_lost_total") == lost)
        #expect((value("ctaudit_watch_resyncs_total") ?? 0) >= 1)
    }
}
