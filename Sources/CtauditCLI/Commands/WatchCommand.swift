import ArgumentParser
import Conntrack
import Engines
import NodeState
import Policy
import Reports

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print source-NATed pod flows with a disallowed translated port as they appear and end.",
        discussion: """
            Subscribes to conntrack events (new, update, destroy) on its own netlink socket and \
            applies the same policy as 'audit'. A violation is printed when it appears (or, if it \
            existed before, at its first update), again if it gets its first reply, and when it ends, \
            saying whether it ever got a reply: a violation destroyed without one is a connection that \
            failed. Read-only: nothing in the table changes.

            It starts with a dump of the table: violations already there are counted and printed \
            as "existing", and followed by a dump every --interval until they end, because an entry \
            created before any event listener existed sends no events (nf_conntrack_events=2, the \
            kernel default; ctaudit never changes it).

            COUNTERS MODE: with --listen ADDR:PORT and/or --textfile PATH, watch prints no records \
            and keeps Prometheus counters instead (ctaudit_watch_violation_flows_total, \
            ctaudit_watch_violation_unreplied_flows_total, ctaudit_watch_events_lost_total, ...; \
            docs/METRICS.md), served on /metrics \
            and/or written to the textfile every --interval. Run it until SIGTERM. Every \
            --check-interval (default 5m) it also re-checks the node's NAT rules and dataplane \
            settings as 'ctaudit check' does, read-only, and exports the verdict and the risky \
            share per rule family (ctaudit_watch_rules_*): a rule changed by a CNI or an \
            upgrade shows within one interval.

            On SIGINT/SIGTERM, after --duration, or after --count records, a summary is printed \
            (stdout; with ndjson as a last line with "event":"summary"). If the kernel drops events \
            because the receive queue overflowed, ctaudit says so on stderr, counts them (the kernel's \
            own per-socket drop counter), and dumps the table so that no violation still in it is \
            missed.

            EXAMPLES
              ctaudit watch --pod-cidr 10.244.0.0/16
              ctaudit watch --netns cni-1234 -o ndjson --duration 600 \\
                  --output remaps.ndjson
              ctaudit watch --remaps --count 20
              ctaudit watch --listen :9814
              ctaudit watch \\
                  --textfile /var/lib/node_exporter/textfile_collector/ctaudit-watch.prom
              ctaudit watch --listen :9814 --check-interval 1m

            EXIT STATUS: 0 no violation seen, 1 violations seen, 2 bad usage, 3 environment \
            (not root / no CAP_NET_ADMIN, conntrack netlink or namespace unavailable), 4 no violation \
            but flows a --firewall rule ctaudit cannot judge decides (lines marked UNCERTAIN).
            """
    )

    enum Format: String, ReportFormat {
        case text
        case ndjson

        static let formatHelp = "Output format: text (for a terminal) or ndjson (one JSON object a line)."
    }

    @OptionGroup var target: TargetOptions<NodeRootOptions, WatchWording>
    @OptionGroup(title: "Counters mode (Prometheus)") var counters: WatchCountersOptions

    @OptionGroup var reportOutput: ReportOutputOptions<Format>
    var format: Format { reportOutput.format }

    @Flag(name: .customLong("remaps"), help: "Print every remapped source-NATed pod flow, not only violations.")
    var all = false

    @OptionGroup var removed: RemovedAllFlag

    @Option(name: .long, help: ArgumentHelp("Stop after this many seconds (fractions allowed).", valueName: "seconds"))
    var duration: Double?

    @Option(name: .long, help: ArgumentHelp("Stop after this many records (lines other than the summary).", valueName: "n"))
    var count: Int?

    @Option(
        name: .customLong("receive-buffer"),
        help: ArgumentHelp(
            "Event socket receive buffer to ask for (SO_RCVBUFFORCE, falling back to SO_RCVBUF), e.g. 8M, 512K, 65536. The kernel doubles it (default: 8M).",
            valueName: "bytes"),
        transform: WatchCommand.parseSize
    )
    var receiveBuffer: Int = ConntrackEventSocket.defaultReceiveBufferBytes

    @Flag(
        name: .shortAndLong,
        help: "Also say on stderr which receive buffer the kernel granted (what is watched is always said at the start).")
    var verbose = false

    func validate() throws {
        try removed.validate(replacement: "--remaps (print every remap)")
        // Up to about 30 years: nanoseconds must fit in 64 bits.
        if let duration, !(duration > 0 && duration <= 1e9) {
            throw ValidationError("--duration must be a positive number of seconds (at most 1e9), got \(duration)")
        }
        if let count, count <= 0 { throw ValidationError("--count must be at least 1, got \(count)") }
        if counters.enabled && count != nil {
            throw ValidationError("--count stops after N printed records; with --listen/--textfile no records are printed")
        }
    }

    func run() throws {
        // The same target as audit: the namespace, then flags over --profile
        // over the config file, pod networks found on the node when none are
        // given, then the warnings.
        let resolved = try target.resolve()
        let netns = resolved.namespace
        let watchPolicy = resolved.policy
        // Bound first, in ctaudit's own namespace: a port in use fails at once.
        let server = try counters.startServer()
        let watcher = try Watcher(
            policy: watchPolicy, namespace: netns, reportsAllRemaps: all, receiveBufferBytes: receiveBuffer)
        watcher.hints = .flags
        let signals = try WatchStopSignals()
        let stream = try ReportStream(path: reportOutput.output, quiet: reportOutput.quiet)
        let text = WatchTextWriter(color: format == .text && reportOutput.wantsColor, firewall: watchPolicy.firewall)
        // Always say what is watched: a silent terminal must not look like a hang.
        let pods =
            watchPolicy.podNetworks.isEmpty
            ? "every source-NATed flow (no pod network known)"
            : "source-NATed flows from " + watchPolicy.podNetworks.map(\.description).joined(separator: ", ")
        var start =
            "ctaudit: watching conntrack events in \(netns.map { "netns \($0)" } ?? "the current netns"): "
            + "\(pods), " + (watchPolicy.firewall.map { "firewall \($0.title); " } ?? "allowed ports \(watchPolicy.allowed); ")
            + (counters.enabled
                ? "counting violations for Prometheus, printing none "
                : "printing \(all ? "every remap" : "violations") as they happen ")
            + "(pods are not named; 'ctaudit audit' names them)"
        if let duration { start += "; for \(duration)s" } else { start += "; Ctrl-C stops" }
        if verbose {
            start +=
                "; receive buffer \(watcher.receiveBufferBytes) bytes (\(watcher.receiveBufferForced ? "SO_RCVBUFFORCE" : "SO_RCVBUF, capped by net.core.rmem_max"))"
        }
        Console.error(start + "\n")
        // Cilium's and Calico's BPF NAT send no conntrack events: say what
        // this watch cannot see rather than let its counts look complete.
        let bpf = BPFDataplaneReader(bpffs: NodeRoot(target.kubernetes.root).path("/sys/fs/bpf")).pinnedNATMaps()
        var unwatched = bpf.maps.map {
            "\($0.dataplane) BPF NAT map \($0.path): its translations send no conntrack events; 'ctaudit audit' reads it"
        }
        if let problem = bpf.problem { unwatched.append(problem + ": BPF NAT (Cilium, Calico eBPF) would not be seen") }
        for line in unwatched { Console.error("ctaudit: warning: not watched: \(line)\n") }
        let unwatchedDataplanes = Array(Set(bpf.maps.map(\.dataplane))).sorted()

        let startedAt = SystemClock.wallNanoseconds()
        let started = SystemClock.monotonicNanoseconds()
        // Records are batched into one write(2) per burst; flushed whenever the
        // loop is about to block, so a terminal sees each line at once.
        var pending = ""
        func flush() {
            if !pending.isEmpty { stream.write(pending) }
            pending = ""
        }
        let reason: WatchContext.StopReason
        if counters.enabled {
            if verbose, let server { Console.error("ctaudit: serving metrics on http://\(server.address)/metrics\n") }
            reason = try counters.run(
                watcher: watcher, server: server, allowed: watchPolicy.allowed,
                durationNanoseconds: duration.map { UInt64($0 * 1e9) }, stopDescriptor: signals.descriptor, verbose: verbose,
                unwatchedDataplanes: unwatchedDataplanes, allowedByKey: Self.allowedByKey(watchPolicy),
                recheck: Self.ruleRecheck(netns, policy: watchPolicy, root: NodeRoot(target.kubernetes.root)))
        } else {
            reason = try watcher.run(
                durationNanoseconds: duration.map { UInt64($0 * 1e9) }, count: count,
                stopDescriptor: signals.descriptor, followIntervalNanoseconds: counters.intervalNanoseconds,
                emit: { record in
                    pending += format == .ndjson ? WatchJSONWriter.line(record, firewall: watchPolicy.firewall) : text.line(record)
                    if pending.utf8.count >= 64 * 1024 { flush() }
                },
                idle: flush,
                notice: { Console.error($0 + "\n") }
            )
        }
        // A second Ctrl-C from here on ends the process at once.
        signals.restoreDefaults()
        let context = WatchContext(
            host: SystemClock.hostName(), netns: netns?.name, allowed: watchPolicy.allowed,
            startedAtNanoseconds: startedAt, endedAtNanoseconds: SystemClock.wallNanoseconds(),
            durationNanoseconds: SystemClock.monotonicNanoseconds() - started,
            receiveBufferBytes: watcher.receiveBufferBytes, receiveBufferForced: watcher.receiveBufferForced,
            stopReason: reason, unwatched: unwatched)
        let summary = watcher.summary
        var finished = context
        if summary.violations > 0 {
            // The fix, as audit and check print it for this node: read the
            // NAT rules now (read-only), the way audit does.
            var hinted = NodeRemedies(
                watch: summary, counters: watcher.tracker.counters, policy: watchPolicy,
                natRules: Self.natRules(netns, policy: watchPolicy, tools: &finished.natRuleTools))
            hinted.hints = .flags
            finished.remedies = hinted.remedies
        }
        flush()
        stream.write(
            format == .ndjson
                ? WatchJSONWriter.summary(summary, context: finished, firewall: watchPolicy.firewall)
                : "\n" + text.summary(summary, context: finished))
        if let output = reportOutput.output { reportOutput.wrote(output, what: "\(format.rawValue) records") }
        if summary.violations > 0 { throw ExitStatus.violations.exitCode }
        if summary.uncertain > 0 { throw ExitStatus.uncertain.exitCode }
    }

    /// The periodic re-check of counters mode: `check`'s engine on the
    /// watched namespace's NAT rules and sysctl and the node's BPF dataplanes
    /// (read-only). A verdict change and a failure are said once on stderr.
    static func ruleRecheck(_ netns: NetworkNamespace?, policy: AuditPolicy, root: NodeRoot) -> (inout RuleDrift) -> Void {
        { drift in
            var check = NodeCheck(allowed: policy.allowed, podNetworks: policy.podNetworks, namespace: netns)
            check.hints = .flags
            if policy.firewall != nil { check.firewallPolicy = policy }
            let previous = drift
            let now = SystemClock.unixSeconds()
            do {
                var report = try check.run()
                var config = DataplaneConfig()
                let header = root.path(CheckDataplaneOptions.ciliumNodeConfig)
                if let bytes = try? InputFile.read(header) {
                    config.read(nodeConfigHeader: String(decoding: bytes, as: UTF8.self), file: header)
                }
                report.dataplanes = DataplaneCheck(
                    allowed: policy.allowed, bpffs: root.path("/sys/fs/bpf"), config: config,
                    nodePortRange: report.nodePortRange
                ).run()
                drift.record(report, atSeconds: now)
            } catch {
                drift.recordFailure("\(error)", atSeconds: now)
            }
            if let error = drift.error, error != previous.error {
                Console.error("ctaudit: re-checking the NAT rules failed: \(error) (verdict unknown until a check works)\n")
            } else if previous.checks > 0, drift.verdict != previous.verdict || drift.changes != previous.changes {
                Console.error(
                    "ctaudit: the NAT rules changed: verdict \(previous.verdictLabel) -> \(drift.verdictLabel) (ctaudit check shows why)\n")
            }
        }
    }

    /// With --firewall: its answer per protocol and family for the metrics' `allowed` label.
    static func allowedByKey(_ policy: AuditPolicy) -> [WatchCounters.Key: (words: String, count: Int)] {
        guard policy.firewall != nil else { return [:] }
        let table = policy.admissions
        var result: [WatchCounters.Key: (words: String, count: Int)] = [:]
        for key in WatchCounters.baselineKeys {
            let admission = table[key.proto, key.family]
            result[key] = (admission.words, admission.admittedForEveryPeer.count)
        }
        return result
    }

    /// The node's NAT rules judged as audit judges them, or why they could not be read.
    static func natRules(_ netns: NetworkNamespace?, policy: AuditPolicy, tools: inout String?) -> NodeRemedies.NATRules {
        do {
            let rules = try NodeNATRules.read(namespace: netns, policy: policy)
            tools = rules.toolsDescription
            return .read(rules.findings)
        } catch {
            return .unread(reason: "\(error)")
        }
    }

    /// Parses `65536`, `512K`, `8M`, `1G` (binary multiples).
    static func parseSize(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: " ")
        let multipliers: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        var digits = Substring(trimmed.uppercased())
        var multiplier = 1
        if digits.hasSuffix("IB") { digits = digits.dropLast(2) } else if digits.hasSuffix("B") { digits = digits.dropLast() }
        if let last = digits.last, let value = multipliers[last] {
            multiplier = value
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits),
            value <= Int(Int32.max) / multiplier
        else {
            throw ValidationError("invalid size '\(text)': expected bytes, optionally with K, M or G (at most 2G)")
        }
        return value * multiplier
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        String(drop { $0 == set }.reversed().drop { $0 == set }.reversed())
    }
}
