import Engines
import Foundation
import NodeState
import Policy
import Testing

/// watch's re-check state (issue 26.3) over check's own reports: the
/// verdict, the risky share per family, and what counts as a change.
@Suite("Engines: rule drift in watch")
struct RuleDriftTests {
    static func check(_ rules: [String]) throws -> CheckReport {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-drift-\(UUID().uuidString).rules")
        defer { try? FileManager.default.removeItem(at: file) }
        try ("*nat\n:POSTROUTING ACCEPT [0:0]\n" + rules.joined(separator: "\n") + "\nCOMMIT\n").write(
            to: file, atomically: true, encoding: .utf8)
        return try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: [file.path]).run()
    }

    static let pinned = [
        "-A POSTROUTING -s 10.244.0.0/16 -p tcp -j MASQUERADE --to-ports 32768-65535",
        "-A POSTROUTING -s 10.244.0.0/16 -p udp -j MASQUERADE --to-ports 32768-65535",
    ]
    static let randomFully = ["-A POSTROUTING -s 10.244.0.0/16 -j MASQUERADE --random-fully"]

    @Test func theFirstCheckIsTheBaselineAndAChangeIsCounted() throws {
        var drift = RuleDrift()
        drift.record(try Self.check(Self.pinned), atSeconds: 100)
        #expect(drift.verdict == .safe)
        #expect(drift.riskyShare == ["iptables": 0, "nft": 0])
        #expect(drift.changes == 0 && drift.verdictChanges == 0 && drift.checks == 1)
        drift.record(try Self.check(Self.pinned), atSeconds: 101)
        #expect(drift.changes == 0, "the same rules again are no change")
        drift.record(try Self.check(Self.randomFully), atSeconds: 102)
        #expect(drift.verdict == .broken)
        #expect(drift.changes == 1 && drift.verdictChanges == 1)
        #expect(abs((drift.riskyShare["iptables"] ?? 0) - 0.5) < 0.01)
        #expect(drift.lastCheckSeconds == 102)
    }

    @Test func aRuleChangeWithTheSameVerdictIsStillAChange() throws {
        var drift = RuleDrift()
        drift.record(try Self.check(Self.pinned), atSeconds: 1)
        drift.record(try Self.check(Self.pinned.map { $0.replacingOccurrences(of: "32768-65535", with: "40000-65535") }), atSeconds: 2)
        #expect(drift.verdict == .safe)
        #expect(drift.changes == 1 && drift.verdictChanges == 0)
    }

    @Test func aFailedCheckIsUnknownNotTheLastGoodVerdict() throws {
        var drift = RuleDrift()
        drift.record(try Self.check(Self.pinned), atSeconds: 1)
        drift.recordFailure("nft: not found", atSeconds: 2)
        #expect(drift.verdict == nil && drift.verdictLabel == "unknown")
        #expect(drift.error == "nft: not found")
        #expect(drift.riskyShare.isEmpty)
        #expect(drift.verdictChanges == 1)
        drift.record(try Self.check(Self.pinned), atSeconds: 3)
        #expect(drift.verdict == .safe && drift.error == nil)
        #expect(drift.changes == 0, "the rules are what they were before the failure")
    }

    @Test func calicoRulesAreTheirOwnFamily() throws {
        let calico = try Self.check([
            ":cali-nat-outgoing - [0:0]", "-A POSTROUTING -j cali-nat-outgoing",
            "-A cali-nat-outgoing -s 10.244.0.0/16 -j MASQUERADE --random-fully",
        ])
        var drift = RuleDrift()
        drift.record(calico, atSeconds: 1)
        #expect(drift.riskyShare.keys.sorted() == ["calico", "iptables", "nft"])
        #expect((drift.riskyShare["calico"] ?? 0) > 0.4)
    }
}
