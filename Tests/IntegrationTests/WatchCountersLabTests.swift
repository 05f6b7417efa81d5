import Foundation
import Testing

/// `ctaudit watch --listen/--textfile` against the incident lab: violations
/// whose entries expire long before a 60 s audit loop would look are all
/// counted, flows older than the watch are counted and followed until they
/// end, and a restart shows as a new process start time.
///
/// The lab's node namespace gets short conntrack timeouts (2 s unreplied UDP,
/// 3 s SYN_SENT; both are per-namespace sysctls, so only the test's own
/// namespace changes) so that the test takes seconds instead of the 30 s and
/// 120 s a node would wait.
@Suite("watch counters in the lab (binary)", .serialized, .enabled(if: Shell.isRoot && Shell.has("curl"), "needs root and curl"))
struct WatchCountersLabTests {
    static let podNets = ["--pod-cidr", "10.244.0.0/24", "--pod-cidr", "fd00:10:244::/64"]

    /// One `watch --listen 127.0.0.1:0 --textfile` process.
    struct CountersWatch {
        let process: WatchProcess
        let url: String
        let textfile: String

        init(namespace: String, textfile: String, extra: [String] = []) throws {
            process = try WatchProcess(
                [
                    "--netns", namespace, "--listen", "127.0.0.1:0", "--textfile", textfile,
                    "--interval", "1",
                ] + podNets + extra)
            try process.waitUntilWatching()
            let deadline = Date().addingTimeInterval(20)
            var found: String?
            while found == nil && Date() < deadline {
                found = process.stderr.split(separator: "\n").first { $0.contains("serving metrics on ") }
                    .map { String($0[$0.range(of: "http://")!.lowerBound...]) }
                if found == nil { Thread.sleep(forTimeInterval: 0.05) }
            }
            url = try #require(found, "\(process.stderr)")
            self.textfile = textfile
        }

        /// Scrapes /metrics (waiting out the 503 of the initial dump).
        func scrape() throws -> Metrics {
            let deadline = Date().addingTimeInterval(20)
            while true {
                let result = try Shell.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", url])
                var lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                let code = lines.popLast() ?? ""
                if code == "200" { return Metrics(lines.joined(separator: "\n")) }
                if Date() > deadline { throw Shell.Failure(command: "curl \(url)", status: -1, stderr: String(code)) }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
    }

    /// A scrape, by "name{labels}" (labels as printed, sorted by key).
    struct Metrics {
        var samples: [String: Double] = [:]
        var text: String

        init(_ text: String) {
            self.text = text
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
                samples[String(line[..<space])] = value
            }
        }

        subscript(_ name: String, family family: String? = nil, proto proto: String? = nil) -> Double? {
            guard let family, let proto else { return samples[name] }
            // Violation series carry allowed and dataplane too (docs/METRICS.md); the lab allows 32768-65535.
            return samples["\(name){allowed=\"32768-65535\",dataplane=\"conntrack\",family=\"\(family)\",proto=\"\(proto)\"}"]
        }
    }

    static func setTimeouts(_ namespace: String, udp: Int, synSent: Int) throws {
        try Shell.sh(
            "ip netns exec \(namespace) sysctl -qw net.netfilter.nf_conntrack_udp_timeout=\(udp) "
                + "net.netfilter.nf_conntrack_tcp_timeout_syn_sent=\(synSent)")
    }

    /// Waits until the node's table holds no unreplied entry from the pods
    /// (every timed-out connection's entry has expired and been reaped).
    static func waitUntilExpired(_ namespace: String, timeout: TimeInterval = 40) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let table = try ConntrackCLIEntry.list(netns: namespace)
            if !table.contains(where: {
                $0.unreplied
                    && ($0.original["src"]?.hasPrefix("10.244.0.") == true
                        || $0.original["src"]?.hasPrefix("fd00:10:244::") == true)
            }) {
                return
            }
            Thread.sleep(forTimeInterval: 0.5)
        }
        Issue.record("unreplied pod entries still in \(namespace) after \(timeout) s")
    }

    /// Timed-out connections by (family, proto), as the traffic generator saw them.
    static func timedOut(_ connections: [Lab.Connection]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for connection in connections where connection.timedOut { counts["\(connection.family)/\(connection.proto)", default: 0] += 1 }
        return counts
    }

    @Test("expired violations, older flows, TCP, UDP, IPv4 and IPv6 are all counted; a restart moves the start time")
    func countsWhatA60SecondLoopMisses() throws {
        let lab = try Lab.up("wk")
        defer { lab.down() }
        let node = lab.nodeNamespace
        let textfile = FileManager.default.temporaryDirectory.appendingPathComponent("\(lab.prefix)-watch.prom").path
        defer { try? FileManager.default.removeItem(atPath: textfile) }

        // 1. Flows older than the watch. On a node they were made before any
        //    listener existed, so the kernel gives them no events
        //    (nf_conntrack_events=2). Here another test's listener may exist
        //    meanwhile, so events are switched off in the lab's node
        //    namespace (its own sysctl) while they are made, then back on.
        try Shell.sh("ip netns exec \(node) sysctl -qw net.netfilter.nf_conntrack_events=0")
        let before = try lab.traffic(pairs: 2, timeout: 1, basePort: 40000)
        try Shell.sh("ip netns exec \(node) sysctl -qw net.netfilter.nf_conntrack_events=2")
        let beforeTimedOut = Self.timedOut(before)
        #expect(beforeTimedOut.values.reduce(0, +) > 0)
        var watch = try CountersWatch(namespace: node, textfile: textfile)
        var metrics = try watch.scrape()
        for family in ["ipv4", "ipv6"] {
            for proto in ["tcp", "udp"] {
                let want = Double(beforeTimedOut["\(family)/\(proto)"] ?? 0)
                #expect(metrics["ctaudit_watch_violation_flows_total", family: family, proto: proto] == want, "\(family)/\(proto) at start")
                #expect(metrics["ctaudit_watch_violation_flows", family: family, proto: proto] == want)
            }
        }
        #expect(metrics["ctaudit_watch_followed_violation_flows"] == Double(beforeTimedOut.values.reduce(0, +)))
        // Deleting them sends no event; the follow dump (every --interval) sees them go.
        try Shell.sh("ip netns exec \(node) conntrack -D -u UNREPLIED >/dev/null 2>&1 || true")
        try Shell.sh("ip netns exec \(node) conntrack -D -f ipv6 -u UNREPLIED >/dev/null 2>&1 || true")
        Thread.sleep(forTimeInterval: 2.5)
        metrics = try watch.scrape()
        #expect(metrics["ctaudit_watch_followed_violation_flows"] == 0)
        for family in ["ipv4", "ipv6"] {
            for proto in ["tcp", "udp"] {
                #expect(
                    metrics["ctaudit_watch_violation_unreplied_flows_total", family: family, proto: proto]
                        == Double(beforeTimedOut["\(family)/\(proto)"] ?? 0), "\(family)/\(proto) older flows ended")
            }
        }
        #expect((metrics["ctaudit_watch_dumps_total{reason=\"follow\"}"] ?? 0) >= 1)

        // 2. Entries that expire within seconds (a 60 s loop would see none).
        try Self.setTimeouts(node, udp: 2, synSent: 3)
        let during = try lab.traffic(pairs: 4, timeout: 1, basePort: 41000)
        let duringTimedOut = Self.timedOut(during)
        #expect(duringTimedOut["ipv4/udp"] ?? 0 > 0 && duringTimedOut["ipv6/udp"] ?? 0 > 0)
        #expect(duringTimedOut["ipv4/tcp"] ?? 0 > 0 && duringTimedOut["ipv6/tcp"] ?? 0 > 0)
        try Self.waitUntilExpired(node)
        Thread.sleep(forTimeInterval: 1.2)
        metrics = try watch.scrape()
        for family in ["ipv4", "ipv6"] {
            for proto in ["tcp", "udp"] {
                let key = "\(family)/\(proto)"
                let want = Double((beforeTimedOut[key] ?? 0) + (duringTimedOut[key] ?? 0))
                #expect(metrics["ctaudit_watch_violation_flows_total", family: family, proto: proto] == want, "\(key)")
                #expect(metrics["ctaudit_watch_violation_unreplied_flows_total", family: family, proto: proto] == want, "\(key)")
                #expect(metrics["ctaudit_watch_violation_flows", family: family, proto: proto] == 0, "\(key) still alive")
            }
        }
        #expect(metrics["ctaudit_watch_events_lost_total"] == 0)
        #expect(metrics["ctaudit_watch_up"] == 1)
        let start = try #require(metrics["process_start_time_seconds"])
        #expect(metrics["ctaudit_watch_start_time_seconds"] == start)
        // The textfile tells the same story (without node_exporter's process_* names).
        let file = Metrics(try String(contentsOfFile: textfile, encoding: .utf8))
        #expect(file["process_start_time_seconds"] == nil)
        #expect(
            file["ctaudit_watch_violation_flows_total", family: "ipv4", proto: "udp"]
                == metrics["ctaudit_watch_violation_flows_total", family: "ipv4", proto: "udp"])
        if Shell.has("promtool") {
            let check = try Shell.run("/bin/sh", ["-c", "curl -s \(watch.url) | promtool check metrics"])
            #expect(check.status == 0 && check.stdout.isEmpty && check.stderr.isEmpty, "\(check.stdout)\(check.stderr)")
        }

        // 3. A restart: counters start again from zero, with a later start time.
        #expect(watch.process.interrupt() == 1)
        #expect(Metrics(try String(contentsOfFile: textfile, encoding: .utf8))["ctaudit_watch_up"] == 0)
        Thread.sleep(forTimeInterval: 0.1)
        watch = try CountersWatch(namespace: node, textfile: textfile)
        metrics = try watch.scrape()
        #expect(metrics["ctaudit_watch_violation_flows_total", family: "ipv4", proto: "udp"] == 0)
        #expect(try #require(metrics["process_start_time_seconds"]) > start)
        watch.process.interrupt()
    }

    @Test("the /metrics responder: GET and HEAD, 404 elsewhere, 405 for other methods, bad requests refused")
    func httpResponder() throws {
        let namespace = Lab.uniquePrefix("wh")
        try Shell.sh("ip netns add \(namespace)")
        defer { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", namespace]) }
        let textfile = FileManager.default.temporaryDirectory.appendingPathComponent("\(namespace).prom").path
        defer { try? FileManager.default.removeItem(atPath: textfile) }
        let watch = try CountersWatch(namespace: namespace, textfile: textfile)
        _ = try watch.scrape()
        func status(_ arguments: [String]) throws -> String {
            try Shell.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments).stdout
        }
        #expect(try status([watch.url]) == "200")
        #expect(try status(["-I", watch.url]) == "200")
        #expect(try status([watch.url + "?x=1"]) == "200")
        #expect(try status([watch.url.replacingOccurrences(of: "/metrics", with: "/nope")]) == "404")
        #expect(try status(["-X", "POST", watch.url]) == "405")
        let headers = try Shell.run("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", watch.url]).stdout
        #expect(headers.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8"))
        // A request that is not HTTP gets a 400, and the server keeps serving.
        let port = try #require(watch.url.split(separator: ":").last?.split(separator: "/").first)
        let garbage = try Shell.run(
            "/bin/bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port); printf 'hello\\r\\n\\r\\n' >&3; head -c 12 <&3"])
        #expect(garbage.stdout.hasPrefix("HTTP/1.1 400"))
        #expect(try status([watch.url]) == "200")
        #expect(watch.process.interrupt() == 0)
    }
}
