import ArgumentParser
import Engines
import Glibc
import NodeState
import Policy
import Reports

/// `watch --listen/--textfile`: the long-running counters mode. Instead of
/// printing records, `watch` keeps Prometheus counters (docs/WATCH.md) and
/// serves them on /metrics and/or rewrites a textfile every --interval.
struct WatchCountersOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Counters mode: serve Prometheus metrics on http://ADDR:PORT/metrics (e.g. 0.0.0.0:9814, [::]:9814, :9814). The socket is in ctaudit's own network namespace, also with --netns.",
            valueName: "addr:port"))
    var listen: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Counters mode: rewrite this node_exporter textfile atomically every --interval (and once more, with ctaudit_watch_up 0, when the watch stops).",
            valueName: "path"),
        completion: .file(extensions: ["prom"]))
    var textfile: String?

    @Option(
        name: .customLong("interval"),
        help: ArgumentHelp(
            "Counters mode: seconds between textfile rewrites, and between the dumps that follow violations older than the watch.",
            valueName: "seconds"))
    var intervalOption = DecimalArgument(15)
    var interval: Double { intervalOption.value }

    @Option(
        name: .customLong("check-interval"),
        help: ArgumentHelp(
            "Counters mode: re-check the node's NAT rules and dataplane settings this often, as 'ctaudit check' does (read-only), and export the verdict (ctaudit_watch_rules_*). Seconds or 30s, 5m, 1h; 0 turns it off.",
            valueName: "duration"))
    var checkInterval = DurationArgument(seconds: 300)

    var enabled: Bool { listen != nil || textfile != nil }

    func validate() throws {
        guard interval > 0 && interval <= 86400 else {
            throw ValidationError("--interval must be a positive number of seconds (at most 86400), got \(interval)")
        }
        guard checkInterval.seconds >= 0 && checkInterval.seconds <= 86400 else {
            throw ValidationError("--check-interval must be 0 (off) or a duration up to 24h (30s, 5m, 1h), got \(checkInterval)")
        }
        if let listen {
            do { _ = try ListenAddress(parsing: listen) } catch { throw ValidationError(error.description) }
        }
        try OutputPath.validate(textfile, option: "--textfile")
    }

    var intervalNanoseconds: UInt64 { UInt64(interval * 1e9) }

    /// Opens the listening socket (before the watch starts, so a port in use
    /// fails at once) and starts serving 503 until the first publish.
    func startServer() throws -> MetricsServer? {
        guard let listen else { return nil }
        let server = try MetricsServer(ListenAddress(parsing: listen))
        server.start()
        return server
    }

    /// Runs the watch until a stop signal (or --duration), publishing counters.
    func run(
        watcher: Watcher, server: MetricsServer?, allowed: PortRangeSet, durationNanoseconds: UInt64?,
        stopDescriptor: Int32, verbose: Bool, unwatchedDataplanes: [Dataplane] = [],
        allowedByKey: [WatchCounters.Key: (words: String, count: Int)] = [:],
        recheck: ((inout RuleDrift) -> Void)? = nil
    ) throws -> WatchContext.StopReason {
        let startTime = Self.processStartTime()
        var context = WatchMetricsWriter.Context(
            startTimeSeconds: startTime, allowed: allowed, running: false,
            unwatchedDataplanes: unwatchedDataplanes)
        context.allowedByKey = allowedByKey
        if recheck != nil && checkInterval.seconds > 0 {
            context.rules = RuleDrift()
            context.ruleCheckIntervalSeconds = checkInterval.seconds
        }
        var lastCheck: UInt64?
        var lastWrite: UInt64?
        var writeFailed = false
        if let textfile {
            // A path that cannot be written fails now, with one line, not
            // silently later; the file says "not counting yet" (ctaudit_watch_up 0).
            try AtomicFileWriter.write(
                WatchMetricsWriter.render(WatchCounters(), WatchSummary(), context: context, target: .textfile), to: textfile)
        }
        context.running = true
        func writeTextfile(_ counters: WatchCounters, _ summary: WatchSummary) {
            guard let textfile else { return }
            do {
                try AtomicFileWriter.write(
                    WatchMetricsWriter.render(counters, summary, context: context, target: .textfile), to: textfile)
                if writeFailed { Console.error("ctaudit: writing \(textfile) works again\n") }
                writeFailed = false
            } catch {
                if !writeFailed { Console.error("ctaudit: \(error) (retrying every \(interval) s)\n") }
                writeFailed = true
            }
        }
        let reason = try watcher.run(
            durationNanoseconds: durationNanoseconds, stopDescriptor: stopDescriptor,
            followIntervalNanoseconds: intervalNanoseconds,
            publishIntervalNanoseconds: min(intervalNanoseconds, 1_000_000_000),
            emit: { _ in },
            notice: { Console.error($0 + "\n") },
            publish: { counters, summary in
                // The rules are re-read on the watch's own thread: events
                // queue in the receive buffer meanwhile (a check takes well
                // under a second), and no thread ever needs a lock.
                if let recheck, context.rules != nil {
                    let now = SystemClock.monotonicNanoseconds()
                    if lastCheck == nil || now - lastCheck! >= checkInterval.nanoseconds {
                        recheck(&context.rules!)
                        lastCheck = SystemClock.monotonicNanoseconds()
                    }
                }
                server?.publish(WatchMetricsWriter.render(counters, summary, context: context, target: .http))
                let now = SystemClock.monotonicNanoseconds()
                if lastWrite == nil || now - lastWrite! >= intervalNanoseconds {
                    if lastWrite == nil && verbose, let textfile { Console.error("ctaudit: writing \(textfile) every \(interval) s\n") }
                    writeTextfile(counters, summary)
                    lastWrite = now
                }
            })
        // The last file says the watch stopped, so a stale count is not taken
        // for a live one.
        context.running = false
        let summary = watcher.summary
        writeTextfile(watcher.tracker.counters, summary)
        return reason
    }

    /// This process's start, Unix seconds: the kernel's start time of the
    /// process (so it is the same for every reader), else now.
    static func processStartTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let now = Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
        guard let stat = try? String(readingProcFile: "/proc/self/stat"),
            let close = stat.lastIndex(of: ")")
        else { return now }
        // Fields after the command: state is field 3; starttime is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return now }
        var uptime = timespec()
        clock_gettime(CLOCK_BOOTTIME, &uptime)
        let sinceBoot = Double(uptime.tv_sec) + Double(uptime.tv_nsec) / 1e9
        let started = now - sinceBoot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        return (started * 100).rounded() / 100
    }
}
