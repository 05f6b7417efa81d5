import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports

/// Shared fixtures (moved out of CheckFixtureTests so that other suites need not reach into it).
package enum RuleFixtures {
    package static func files(_ name: String) -> (iptables: [String], nft: [String]) {
        let iptables = ["iptables", "ip6tables"].map { directory.appendingPathComponent("\(name).\($0)").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        return (iptables, [directory.appendingPathComponent("\(name).nft.json").path])
    }

    package static let directory: URL = TestFixtures.url("rules")
}
