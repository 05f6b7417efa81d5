import Foundation
import TestSupport
import Testing
import Yams

/// deploy/ as the suites that check it find it: the directory, the Grafana
/// dashboard, and the pod spec of a rendered DaemonSet. (Here, not in
/// TestSupport: it reads YAML with Yams, which only this target links.)
enum DeployFiles {
    static let directory = TestFixtures.repositoryRoot.appendingPathComponent("deploy")
    static let grafanaDashboard = directory.appendingPathComponent("grafana/ctaudit.json")

    /// The pod template's spec of the one DaemonSet in `documents`.
    static func daemonSetPod(_ documents: [Node]) throws -> Node {
        let daemonSet = try #require(documents.first { $0["kind"]?.string == "DaemonSet" })
        return try #require(daemonSet["spec"]?["template"]?["spec"])
    }
}
