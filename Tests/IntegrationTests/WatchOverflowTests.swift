import Foundation
import Testing

/// The ENOBUFS path for real: an event flood in a namespace of the test's
/// own, watched once with a tiny receive buffer (events are lost, counted
/// exactly, and the resync still finds every violation in the table) and once
/// with the default buffer at the same load (nothing lost).
@Suite(
    "watch under an event flood (binary)", .serialized,
    .enabled(if: Shell.isRoot && Shell.has("gcc") && Shell.has("pkg-config"), "needs root, gcc and pkg-config (libmnl-dev)"))
struct WatchOverflowTests {
    static let entries = 20000
    static let violationPercent = 5
    /// Paced so that the default buffer keeps up even with a debug build on
    /// a busy machine; far beyond what a 4 KiB buffer can hold.
    static let rate = 40000

    static let flood = CTFlood.binary

    /// Runs one watch over one flood in a fresh namespace; returns the summary
    /// and the ids of the violations the watch reported.
    static func watchFlood(receiveBuffer: String) throws -> (summary: [String: Any], violations: Set<Int>, stderr: String) {
        let flood = try Self.flood.get()
        let namespace = Lab.uniquePrefix("wf")
        try Shell.sh("ip netns add \(namespace)")
        defer { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", namespace]) }

        let watch = try WatchProcess(["--netns", namespace, "--format", "ndjson", "--receive-buffer", receiveBuffer])
        try watch.waitUntilWatching()
        let result = try Shell.sh(
            "ip netns exec \(namespace) \(flood) --entries \(entries) --keep "
                + "--violation-percent \(violationPercent) --rate \(rate)")
        #expect(result.stdout.contains("errors=0"), "\(result.stdout)")
        // Let the reader finish the queue, then stop it like an operator would.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(watch.interrupt() == 1)
        let summary = try #require(watch.summary, "\(watch.stderr)")
        let violations = Set(
            watch.records.compactMap { record -> Int? in
                guard record["violation"] as? Bool == true, record["event"] as? String != "summary" else { return nil }
                return record["id"] as? Int
            })
        return (summary, violations, watch.stderr)
    }

    @Test("a tiny buffer loses events, says so, counts them exactly, and the resync still finds every violation")
    func tinyBufferLosesAndResyncs() throws {
        let run = try Self.watchFlood(receiveBuffer: "4096")
        let lost = try #require(run.summary["events_lost"] as? Int)
        let events = try #require(run.summary["events"] as? Int)
        #expect(lost > 0)
        #expect(run.summary["events_lost_exact"] as? Bool == true)
        #expect(events + lost == Self.entries, "the kernel's drop counter accounts for every event")
        #expect((run.summary["resyncs"] as? Int ?? 0) >= 1)
        #expect((run.summary["resync_found"] as? Int ?? 0) > 0)
        #expect(run.stderr.contains("the kernel dropped") && run.stderr.contains("resyncing from a table dump"))
        #expect(
            run.violations.count == Self.entries * Self.violationPercent / 100,
            "every violation still in the table was reported, by an event or by the resync")
        #expect(run.summary["violations"] as? Int == Self.entries * Self.violationPercent / 100)
    }

    @Test("--count ends the watch after N records, without waiting for another event")
    func countStops() throws {
        let flood = try Self.flood.get()
        let namespace = Lab.uniquePrefix("wc")
        try Shell.sh("ip netns add \(namespace)")
        defer { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", namespace]) }
        let watch = try WatchProcess(["--netns", namespace, "--format", "ndjson", "--count", "5"])
        try watch.waitUntilWatching()
        try Shell.sh("ip netns exec \(namespace) \(flood) --entries 200 --keep --violation-percent 50")
        #expect(watch.wait(timeout: 20) == 1)
        let records = watch.records
        #expect(records.filter { $0["event"] as? String == "new" }.count == 5)
        #expect(watch.summary?["stopped_by"] as? String == "count")
    }

    @Test("the default buffer loses nothing at the same load")
    func defaultBufferKeepsUp() throws {
        let run = try Self.watchFlood(receiveBuffer: "8M")
        #expect(run.summary["events_lost"] as? Int == 0, "\(run.stderr)")
        #expect(run.summary["events"] as? Int == Self.entries)
        #expect(run.summary["resyncs"] as? Int == 0)
        #expect(run.violations.count == Self.entries * Self.violationPercent / 100)
        #expect(!run.stderr.contains("dropped"))
    }
}
