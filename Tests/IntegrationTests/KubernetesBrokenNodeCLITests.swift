import Foundation
import TestSupport
import Testing

/// The real binary on a node whose files are all broken
/// (Tests/Fixtures/nodes/broken): a conflist with bad
/// JSON, an empty one, bad YAML, a garbled subnet.env value, an IPAM file
/// that is a path, and a sandbox config.json cut short. Every one must be a
/// `warning:` line naming the file, and the audit must finish normally.
@Suite(
    "Kubernetes: broken node files (binary)",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("ip"), "needs iproute2"))
struct KubernetesBrokenNodeCLITests {
    static let root = Shell.packageRoot.appendingPathComponent("Tests/Fixtures/nodes/broken").path

    /// The files the fixture breaks, relative to its root.
    static let brokenFiles = [
        "etc/cni/net.d/10-broken.conflist",
        "etc/cni/net.d/30-empty.conflist",
        "etc/calico/pool.yaml",
        "run/flannel/subnet.env",
        "var/lib/cni/networks/mynet/10.22.0.5",
        "run/containerd/io.containerd.runtime.v2.task/k8s.io/0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0/config.json",
    ]

    @Test func everyBrokenFileIsAWarningAndTheAuditFinishes() throws {
        // An empty "node" namespace to audit (no flows), and a "pod" holding
        // the address the fixture's IPAM gives the cut-short sandbox, with a
        // low port range: the port-range scan then looks that sandbox up.
        let tag = UniqueName.tag()
        let node = "k8bn\(tag)-node"
        let pod = "k8bn\(tag)-pod"
        defer {
            for name in [node, pod] { _ = try? Shell.run("/bin/sh", ["-c", "ip netns del \(name)"]) }
        }
        try Shell.sh("ip netns add \(node) && ip netns add \(pod)")
        try Shell.sh(
            """
            ip -n \(pod) link add p0 type veth peer name p1 && ip -n \(pod) addr add 10.22.0.6/16 dev p0 && \
            ip -n \(pod) link set p1 up && ip -n \(pod) link set p0 up && \
            ip netns exec \(pod) sh -c 'echo "1024 2047" > /proc/sys/net/ipv4/ip_local_port_range'
            """)

        for format in ["text", "json"] {
            let run = try Shell.run(
                Shell.ctauditBinary, ["audit", "--netns", node, "--root", Self.root, "--no-config", "--format", format])
            #expect(run.status == 0 || run.status == 1, "\(format): exit \(run.status): \(run.stderr)")
            #expect(!run.stderr.contains("Fatal error"), "\(run.stderr)")
            let warnings = run.stderr.split(separator: "\n").filter { $0.hasPrefix("ctaudit: warning: ") }
            for file in Self.brokenFiles {
                #expect(warnings.contains { $0.contains("\(Self.root)/\(file): ") }, "\(format): no warning names \(file):\n\(run.stderr)")
            }
            // Nothing else on stderr but warnings.
            #expect(run.stderr.split(separator: "\n").allSatisfy { $0.hasPrefix("ctaudit: warning: ") }, "\(run.stderr)")
            if format == "json" {
                let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
                let kubernetes = try #require(document["kubernetes"] as? [String: Any])
                let subjects = (kubernetes["warnings"] as? [[String: String]] ?? []).compactMap { $0["subject"] }
                for file in Self.brokenFiles { #expect(subjects.contains("\(Self.root)/\(file)"), "\(subjects)") }
                // The good files still count: 20-mynet.conf's network and subnet.env's good line.
                let policy = try #require(document["policy"] as? [String: Any])
                #expect(policy["pod_cidrs"] as? [String] == ["10.22.0.0/16"])
                // The pod is found through its IPAM file, unnamed: its sandbox config is broken.
                let ranges = try #require(kubernetes["pod_port_ranges"] as? [[String: Any]])
                let found = try #require(ranges.first { ($0["pod"] as? [String: Any])?["netns"] as? String == pod })
                let identity = try #require(found["pod"] as? [String: Any])
                #expect(identity["container_id"] as? String == "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
                #expect(identity["name"] is NSNull)
            }
        }
    }
}
