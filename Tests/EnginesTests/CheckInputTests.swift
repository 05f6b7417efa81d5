import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

@Suite("check: bad input names the file")
struct CheckInputTests {
    static func temporary(_ name: String, _ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-check-\(UUID().uuidString)-\(name)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func truncatedNftJSON() throws {
        let path = try Self.temporary("ruleset.json", #"{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"fam"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try NodeCheck(allowed: .defaultAllowed, nftJSONFiles: [path]).run()
        } throws: { error in
            guard let error = error as? CheckInputError else { return false }
            return error.origin == path && error.description.hasPrefix(path + ": not valid JSON")
                && !error.description.contains("\n")
        }
    }

    @Test func jsonThatIsNotNft() throws {
        let path = try Self.temporary("other.json", #"{"items": []}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(
            throws: CheckInputError(
                origin: path, reason: "JSON but not nft JSON: expected {\"nftables\": [...]} from 'nft -j list ruleset'")
        ) {
            try NodeCheck(allowed: .defaultAllowed, nftJSONFiles: [path]).run()
        }
    }

    @Test(arguments: [
        ("hello world\n", "line 1 is not iptables-save output"),
        ("", "empty"),
        ("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j MASQUERADE\n", "truncated: table *nat has no COMMIT"),
        ("# just a comment\n", "no *table header"),
        ("-A POSTROUTING -j MASQUERADE\nCOMMIT\n", "rule outside a table"),
    ])
    func notAnIptablesSaveDump(_ text: String, _ reason: String) throws {
        let path = try Self.temporary("nat.rules", text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: [path]).run()
        } throws: { error in
            guard let error = error as? CheckInputError else { return false }
            return error.origin == path && error.reason.contains(reason)
        }
    }

    @Test func missingFile() {
        #expect(throws: CheckInputError(origin: "/nonexistent/nat.rules", reason: "no such file")) {
            try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: ["/nonexistent/nat.rules"]).run()
        }
    }
}
