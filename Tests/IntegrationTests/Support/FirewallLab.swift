import Foundation
import Testing

/// What the firewall lab suites share: the firewall fixtures, the lab's pod
/// networks as flags, the binary, and a JSON audit's violations keyed by flow.
enum FirewallLab {
    static let fixtures = Shell.packageRoot.appendingPathComponent("Tests/Fixtures/firewall").path
    static let pods = ["--pod-cidr", "10.244.0.0/24", "--pod-cidr", "fd00:10:244::/64"]

    struct Key: Hashable, CustomStringConvertible {
        var family: String, proto: String, source: String, sourcePort: Int
        var description: String { "\(proto)/\(family) \(source):\(sourcePort)" }
    }

    static func ctaudit(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run(Shell.ctauditBinary, arguments, environment: ["NO_COLOR": "1"])
    }

    /// The violations of a JSON audit, and each one's deciding rule.
    static func audit(_ lab: Lab, _ policy: [String]) throws -> (status: Int32, violations: [Key: String]) {
        let result = try ctaudit(["audit", "--no-config", "--netns", lab.nodeNamespace, "--format", "json"] + pods + policy)
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
            let violations = object["violations"] as? [[String: Any]]
        else {
            Issue.record("no JSON from \(policy): \(result.stderr)")
            return (result.status, [:])
        }
        var keys: [Key: String] = [:]
        for violation in violations {
            let original = violation["original"] as? [String: Any] ?? [:]
            let key = Key(
                family: violation["family"] as? String ?? "", proto: violation["proto"] as? String ?? "",
                source: original["src"] as? String ?? "", sourcePort: original["sport"] as? Int ?? -1)
            keys[key] = (violation["rule"] as? [String: Any])?["decided_by"] as? String ?? ""
        }
        return (result.status, keys)
    }
}
