import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports

/// Shared fixtures (moved out of FirewallPolicyTests so that other suites need not reach into it).
package enum FirewallFixtures {
    package static func load(_ name: String) throws -> FirewallPolicy {
        try FirewallFile.load(path: directory.appendingPathComponent(name).path)
    }

    package static let directory: URL = TestFixtures.url("firewall")
}
