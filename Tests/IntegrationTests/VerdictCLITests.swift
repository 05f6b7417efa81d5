import Foundation
import TestSupport
import Testing

/// Issue 12, parts 3-5 through the CLI: nothing to audit, repeated options,
/// errors a person can act on, check as a CI gate, watch saying what it does.
@Suite("CLI: verdicts, options and errors (issue 12)")
struct VerdictCLITests {
    static func ctaudit(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(Shell.ctauditBinary, arguments)
    }

    static let natRules = """
        *nat
        :POSTROUTING ACCEPT [0:0]
        -A POSTROUTING -s 10.244.0.0/24 ! -d 10.244.0.0/24 -j MASQUERADE --to-ports 1024-65535
        COMMIT
        """

    @Test(.enabled(if: Shell.isRoot, "needs root to create a network namespace"))
    func aNamespaceWithoutNATHasNothingToAudit() throws {
        let name = "ctv\(UniqueName.tag(length: 6))"
        try Shell.sh("ip netns add \(name) && ip -n \(name) link set lo up")
        defer { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", name]) }
        let text = try Self.ctaudit(["audit", "--netns", name, "--no-pods"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("nothing to audit: no source-NAT rule and no source-NATed flow in netns \(name)"), "\(text.stdout)")
        #expect(text.stdout.contains("without --netns"))
        #expect(!text.stdout.contains("no violations"))
        let json = try Self.ctaudit(["audit", "--netns", name, "--no-pods", "--format", "json"])
        #expect(json.status == 0)
        #expect(json.stdout.contains("\"verdict\": \"nothing-to-audit\""))
        let prom = try Self.ctaudit(["audit", "--netns", name, "--no-pods", "--format", "prometheus"])
        #expect(prom.stdout.contains("ctaudit_audit_verdict{verdict=\"nothing-to-audit\"} 1"))
        let html = try Self.ctaudit(["audit", "--netns", name, "--no-pods", "--format", "html"])
        #expect(html.stdout.contains("data-verdict=\"nothing-to-audit\""))
    }

    @Test func repeatedAllowOptionsAddUp() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = directory.appendingPathComponent("nat.rules")
        try Self.natRules.write(to: rules, atomically: true, encoding: .utf8)
        let both = try Self.ctaudit(["check", "--iptables-save", rules.path, "--allow", "1024-32767", "--allow", "32768-65535"])
        #expect(both.stdout.contains("allowed translated source ports: 1024-65535"), "\(both.stdout)")
        #expect(both.status == 0, "1024-65535 is allowed in full: \(both.stdout)")
        let last = try Self.ctaudit(["check", "--iptables-save", rules.path, "--allow", "32768-65535"])
        #expect(last.status == 1)
    }

    @Test func checkIsACIGateWithQuietAndOutput() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = directory.appendingPathComponent("nat.rules")
        try Self.natRules.write(to: rules, atomically: true, encoding: .utf8)
        let quiet = try Self.ctaudit(["check", "--iptables-save", rules.path, "--quiet"])
        #expect(quiet.status == 1 && quiet.stdout.isEmpty)
        let report = directory.appendingPathComponent("check.json")
        let written = try Self.ctaudit(["check", "--iptables-save", rules.path, "--format", "json", "--output", report.path])
        #expect(written.status == 1 && written.stdout.isEmpty)
        #expect(try String(contentsOf: report, encoding: .utf8).contains("\"schema\": \"ctaudit.check/v1\""))
    }

    @Test(arguments: [
        (["audit", "--netns", "no-such-netns-ctv"], "--netns no-such-netns-ctv: no network namespace of that name in /run/netns"),
        (["check", "--netns", "no-such-netns-ctv"], "--netns no-such-netns-ctv: no network namespace of that name"),
        (
            ["audit", "--output", "/nonexistent-ctv/dir/report.txt"],
            "--output /nonexistent-ctv/dir/report.txt: directory /nonexistent-ctv/dir does not exist"
        ),
        (["check", "--output", "/nonexistent-ctv/check.json"], "directory /nonexistent-ctv does not exist"),
        (["check", "--bogus"], "(see 'ctaudit check --help')"),
        (["watch", "--duration", "-1"], "(see 'ctaudit watch --help')"),
        (["--allow", "5-1"], "(see 'ctaudit audit --help')"),
    ])
    func mistakesAreUsageErrorsThatSayWhatToFix(arguments: [String], message: String) throws {
        let result = try Self.ctaudit(arguments)
        #expect(result.status == 2, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
    }

    @Test(.enabled(if: Shell.isRoot, "lists /run/netns"))
    func aMissingNetnsListsTheNamesThatExist() throws {
        let name = "ctv\(UniqueName.tag(length: 6))"
        try Shell.sh("ip netns add \(name)")
        defer { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", name]) }
        let result = try Self.ctaudit(["audit", "--netns", "\(name)x"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("existing: ") && result.stderr.contains(name), "\(result.stderr)")
    }

    @Test(.enabled(if: Shell.isRoot, "reads conntrack events"))
    func watchSaysWhatItWatchesAndOffersNoNoPods() throws {
        let result = try Self.ctaudit(["watch", "--duration", "0.2", "--pod-cidr", "10.244.0.0/16", "--no-config"])
        #expect(
            result.stderr.contains(
                "ctaudit: watching conntrack events in the current netns: source-NATed flows from 10.244.0.0/16, allowed ports 32768-65535"),
            "\(result.stderr)")
        let help = try Self.ctaudit(["watch", "--help"])
        #expect(!help.stdout.contains("--no-pods"))
        #expect(try Self.ctaudit(["watch", "--duration", "0.1", "--no-pods", "--no-config"]).status == 0, "still accepted")
    }
}
