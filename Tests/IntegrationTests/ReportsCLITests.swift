import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports
import Testing

/// The report flags, config file, merge and generated shell files through the
/// real binary; the last suite audits the lab's namespaces end to end.
@Suite("Reports CLI (binary)")
struct ReportsCLITests {
    static func temporaryDirectory() throws -> URL { try Shell.temporaryDirectory() }

    static func ctaudit(_ arguments: [String]) throws -> Shell.Result {
        try Spawned.run(Shell.ctauditBinary, arguments)
    }

    @Test func badConfigIsExit2WithFileAndLineAndMarksTheTextfile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.yaml").path
        try "profile: hetzner-robot\npod_cidr:\n  - 10.0.0.0/8\n".write(toFile: config, atomically: true, encoding: .utf8)
        let textfile = directory.appendingPathComponent("ctaudit.prom").path
        let result = try Self.ctaudit(["audit", "--config", config, "--textfile", textfile])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "ctaudit: \(config):2: unknown setting 'pod_cidr' (expected one of: profile, allow, firewall, pod_cidrs, exclude_dst, service_cidrs, profiles)\n"
        )
        #expect(result.stdout.isEmpty)
        #expect(try String(contentsOfFile: textfile, encoding: .utf8).contains("ctaudit_audit_up 0\n"))
    }

    @Test(arguments: [
        (["audit", "--no-config", "--profile", "nope"], "unknown profile 'nope'"),
        (["audit", "--no-config", "--profile", "hetzner-robot", "--allow", "1-2"], "--allow and --profile"),
        (["audit", "--config", "/nonexistent/ctaudit.yaml"], "--config /nonexistent/ctaudit.yaml: no such file"),
        (["audit", "--max-violations=-1"], "--max-violations must be 0 or more"),
        (["audit", "--format", "xml"], "xml"),
        (["merge"], "Missing expected argument"),
    ])
    func usageErrorsAreExit2OnOneLine(arguments: [String], message: String) throws {
        let result = try Self.ctaudit(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    static func writeReport(_ directory: URL, host: String, violations: Bool) throws -> String {
        let policy = AuditPolicy()
        var accumulator = AuditAccumulator(policy: policy)
        let pod = IPAddress("10.244.0.3")!
        let server = IPAddress("203.0.113.10")!
        let node = IPAddress("198.51.100.2")!
        for (index, port) in (violations ? [1500, 40000] : [40000]).enumerated() as EnumeratedSequence<[Int]> {
            accumulator.add(
                Flow(
                    id: UInt32(index + 1), family: .ipv4,
                    original: Tuple(source: pod, destination: server, proto: .tcp, sourcePort: 40000 + UInt16(index), destinationPort: 443),
                    reply: Tuple(source: server, destination: node, proto: .tcp, sourcePort: 443, destinationPort: UInt16(port)),
                    status: [.sourceNAT]))
        }
        let report = AuditReport(
            host: host, netns: nil, generatedAt: "2026-11-25T05:00:00Z", policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(),
            dump: DumpResult(), tableSize: nil)
        let path = directory.appendingPathComponent("\(host).json").path
        try JSONReportWriter.render(report).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func mergeExitCodesQuietAndThreshold() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let bad = try Self.writeReport(directory, host: "node-a", violations: true)
        let good = try Self.writeReport(directory, host: "node-b", violations: false)
        let merged = try Self.ctaudit(["merge", bad, good])
        #expect(merged.status == 1)
        #expect(merged.stdout.contains("ctaudit merge: 2 node report(s), 1 with violations"))
        #expect(merged.stdout.contains("203.0.113.10:443"))
        #expect(try Self.ctaudit(["merge", good]).status == 0)
        let quiet = try Self.ctaudit(["merge", "--quiet", bad, good])
        #expect(quiet.status == 1 && quiet.stdout.isEmpty)
        #expect(try Self.ctaudit(["merge", "--max-violations", "1", bad]).status == 0)
        let json = try Self.ctaudit(["merge", "--format", "json", "--output", directory.appendingPathComponent("fleet.json").path, bad])
        #expect(json.status == 1 && json.stdout.isEmpty)
        let fleet =
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("fleet.json"))) as? [String: Any]
        #expect(fleet?["schema"] as? String == "ctaudit.merge/v1")
        let broken = directory.appendingPathComponent("broken.json").path
        try "{\"schema\": \"other\"}".write(toFile: broken, atomically: true, encoding: .utf8)
        let rejected = try Self.ctaudit(["merge", bad, broken])
        #expect(rejected.status == 2)
        #expect(rejected.stderr == "ctaudit: \(broken): schema is 'other', expected 'ctaudit.audit/v1'\n")
    }

    /// The fleet's verdict is its worst node's, and its exit code is audit's:
    /// a node with pods blocked fails the merge; one with nothing to audit
    /// does not, but the merge does not call the fleet clean.
    @Test func mergeVerdictAndExitFollowTheWorstNode() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try Self.writeReport(directory, host: "node-a", violations: false)
        let text = try String(contentsOfFile: good, encoding: .utf8)
        #expect(text.contains("\"verdict\": \"clean\""))
        let blocked = directory.appendingPathComponent("node-b.json").path
        try text.replacingOccurrences(of: "\"host\": \"node-a\"", with: "\"host\": \"node-b\"")
            .replacingOccurrences(of: "\"verdict\": \"clean\"", with: "\"verdict\": \"pods-blocked\"")
            .write(toFile: blocked, atomically: true, encoding: .utf8)
        let nothing = directory.appendingPathComponent("node-c.json").path
        try text.replacingOccurrences(of: "\"host\": \"node-a\"", with: "\"host\": \"node-c\"")
            .replacingOccurrences(of: "\"verdict\": \"clean\"", with: "\"verdict\": \"nothing-to-audit\"")
            .write(toFile: nothing, atomically: true, encoding: .utf8)

        let failing = try Self.ctaudit(["merge", good, blocked, nothing])
        #expect(failing.status == 1, "\(failing.stderr)")
        #expect(failing.stdout.contains("verdict: pods-blocked"))
        let unjudged = try Self.ctaudit(["merge", good, nothing])
        #expect(unjudged.status == 0, "\(unjudged.stderr)")
        #expect(unjudged.stdout.contains("verdict: nothing-to-audit"))
        #expect(!unjudged.stdout.contains("no violations on any node"))
        let clean = try Self.ctaudit(["merge", good])
        #expect(clean.status == 0 && clean.stdout.contains("verdict: clean") && clean.stdout.contains("no violations on any node"))
    }

    @Test(.enabled(if: Shell.has("bash"), "needs bash"))
    func generatedCompletionsAndManPage() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = Shell.packageRoot.appendingPathComponent("scripts/gen-share.sh").path
        try Spawned.sh("'\(script)' '\(Shell.ctauditBinary)' '\(directory.path)'")
        let bash = directory.appendingPathComponent("completions/ctaudit.bash").path
        try Spawned.sh("bash -n '\(bash)'")
        let completed = try Spawned.sh(
            """
            source '\(bash)'; COMP_WORDS=(ctaudit audit --profile ""); COMP_CWORD=3; COMP_LINE="ctaudit audit --profile "; \
            COMP_POINT=${#COMP_LINE}; _ctaudit ctaudit "" --profile; echo "${COMPREPLY[*]}"
            """)
        #expect(completed.stdout.contains("hetzner-robot") && completed.stdout.contains("linux-ephemeral"))
        let zsh = try String(contentsOf: directory.appendingPathComponent("completions/_ctaudit"), encoding: .utf8)
        #expect(zsh.hasPrefix("#compdef ctaudit") && zsh.contains("--textfile"))
        let fish = try String(contentsOf: directory.appendingPathComponent("completions/ctaudit.fish"), encoding: .utf8)
        #expect(fish.contains("complete -c 'ctaudit'") && fish.contains("max-violations"))
        let man = try String(contentsOf: directory.appendingPathComponent("man/ctaudit.8"), encoding: .utf8)
        #expect(man.contains("CTAUDIT 8") && man.contains("merge") && man.contains("--textfile"))
    }
}

@Suite(
    "Reports CLI (live namespaces)",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("iptables") && Shell.has("ip"), "needs iproute2 and iptables"))
struct ReportsLiveTests {
    @Test func cronFlagsTextfileHTMLAndConfigAgainstTheLab() throws {
        let lab = Lab(prefix: Lab.uniquePrefix("rp"))
        defer { _ = try? Spawned.run("/bin/bash", [Lab.script, "down", "--name", lab.prefix]) }
        try Spawned.sh("'\(Lab.script)' up --name \(lab.prefix)")
        try Spawned.sh("'\(Lab.script)' traffic --name \(lab.prefix) --pairs 4 --timeout 2")
        let directory = try ReportsCLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let base = [
            "audit", "--netns", lab.nodeNamespace, "--no-config", "--no-pods",
            "--pod-cidr", "10.244.0.0/16", "--pod-cidr", "fd00:10:244::/48",
        ]

        let json = try ReportsCLITests.ctaudit(base + ["--format", "json"])
        #expect(json.status == 1, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let violations = try #require((document["summary"] as? [String: Any])?["violations"] as? Int)
        #expect(violations > 0)
        // --no-pods: every pod object says it was not looked up (not "found nothing").
        let pods = (document["violations"] as? [[String: Any]] ?? []).compactMap { $0["pod"] as? [String: Any] }
        #expect(pods.count == violations && pods.allSatisfy { $0["lookup"] as? String == "disabled" })
        // Where the pod networks came from, in JSON and text.
        let policy = try #require(document["policy"] as? [String: Any])
        #expect(policy["pod_cidrs_source"] as? String == "configured" && policy["pod_cidrs_from"] as? String == "--pod-cidr")
        #expect(try ReportsCLITests.ctaudit(base).stdout.contains("pod networks: given by --pod-cidr\n"))

        // Cron: textfile + HTML file, nothing on stdout, exit 1.
        let textfile = directory.appendingPathComponent("ctaudit.prom").path
        let html = directory.appendingPathComponent("report.html").path
        let cron = try ReportsCLITests.ctaudit(base + ["--quiet", "--textfile", textfile, "--format", "html", "--output", html])
        #expect(cron.status == 1 && cron.stdout.isEmpty, "\(cron.stderr)")
        let metrics = try String(contentsOfFile: textfile, encoding: .utf8)
        let exported = metrics.split(separator: "\n").filter { $0.hasPrefix("ctaudit_audit_violation_flows{") }
            .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        #expect(exported == violations)
        #expect(metrics.contains("ctaudit_audit_up 1\n"))
        if Shell.has("promtool") {
            let lint = try Spawned.sh("promtool check metrics < '\(textfile)'")
            #expect(lint.stdout.isEmpty && lint.stderr.isEmpty)
        }
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("<svg id=\"port-histogram\"") && page.contains("\(violations) violation(s)"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["ctaudit.prom", "report.html"])

        // NDJSON: one line per violation.
        let ndjson = try ReportsCLITests.ctaudit(base + ["--format", "ndjson"])
        #expect(ndjson.stdout.split(separator: "\n").count == violations)

        // CI gate: above the threshold only.
        #expect(try ReportsCLITests.ctaudit(base + ["--quiet", "--max-violations", String(violations)]).status == 0)
        #expect(try ReportsCLITests.ctaudit(base + ["--quiet", "--max-violations", String(violations - 1)]).status == 1)

        // A firewall allowing 1024-65535 lets every lab flow through (pod3 keeps 1024-2047).
        #expect(try ReportsCLITests.ctaudit(base + ["--quiet", "--profile", "aws-nacl"]).status == 0)

        // The same policy from a config file finds the same violations; a flag overrides it.
        let config = directory.appendingPathComponent("config.yaml").path
        try "profile: hetzner-robot\npod_cidrs: [10.244.0.0/16, fd00:10:244::/48]\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let fromFile = try ReportsCLITests.ctaudit([
            "audit", "--netns", lab.nodeNamespace, "--config", config, "--no-pods", "--format", "ndjson",
        ])
        #expect(fromFile.status == 1 && fromFile.stdout.split(separator: "\n").count == violations)
        let fromFileText = try ReportsCLITests.ctaudit(["audit", "--netns", lab.nodeNamespace, "--config", config, "--no-pods"])
        #expect(fromFileText.stdout.contains("pod networks: given by \(config)\n"), "\(fromFileText.stdout.prefix(400))")
        #expect(
            try ReportsCLITests.ctaudit([
                "audit", "--netns", lab.nodeNamespace, "--config", config, "--no-pods", "--quiet",
                "--allow", "1024-65535",
            ]).status == 0)

        // A failed run keeps the last success time and raises the error gauge.
        let success = try #require(PrometheusWriter.lastSuccess(inTextfile: metrics))
        let failed = try ReportsCLITests.ctaudit(
            base.map { $0 == lab.nodeNamespace ? "\(lab.nodeNamespace)-gone" : $0 } + ["--textfile", textfile])
        #expect(failed.status == 2 || failed.status == 3, "\(failed.stderr)")
        let after = try String(contentsOfFile: textfile, encoding: .utf8)
        #expect(after.contains("ctaudit_audit_up 0\n"))
        #expect(PrometheusWriter.lastSuccess(inTextfile: after) == success)

        // Merge this node's JSON with itself under another name.
        let first = directory.appendingPathComponent("a.json")
        try json.stdout.write(to: first, atomically: true, encoding: .utf8)
        let second = directory.appendingPathComponent("b.json")
        try json.stdout.replacingOccurrences(of: "\"host\": \"", with: "\"host\": \"other-").write(
            to: second, atomically: true, encoding: .utf8)
        let merged = try ReportsCLITests.ctaudit(["merge", "--format", "json", first.path, second.path])
        #expect(merged.status == 1)
        let fleet = try #require(try JSONSerialization.jsonObject(with: Data(merged.stdout.utf8)) as? [String: Any])
        #expect((fleet["summary"] as? [String: Any])?["violations"] as? Int == 2 * violations)
    }
}

/// These tests' name for `Shell` (posix_spawn + waitpid, output through
/// temporary files; see Shell.run for why not Foundation's Process).
enum Spawned {
    static func run(_ executable: String, _ arguments: [String]) throws -> Shell.Result {
        try Shell.run(executable, arguments)
    }

    @discardableResult
    static func sh(_ command: String) throws -> Shell.Result {
        let result = try run("/bin/bash", ["-c", command])
        guard result.status == 0 else { throw Shell.Failure(command: command, status: result.status, stderr: result.stderr) }
        return result
    }
}
