import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports
import TestSupport
import Testing

/// The incident, reproduced in namespaces (scripts/lab.sh), audited for real:
/// ctaudit's violations must be exactly what conntrack(8) shows with a
/// translated port outside the range, and exactly the connections that timed out.
@Suite("Audit against the kernel", .enabled(if: Shell.isRoot, "needs root to create network namespaces"))
struct AuditIntegrationTests {
    static let policy = AuditPolicy(
        allowed: .defaultAllowed,
        podNetworks: [try! IPNetwork(parsing: "10.244.0.0/24"), try! IPNetwork(parsing: "fd00:10:244::/64")]
    )

    /// (family, proto, pod address, pod port) identifies a pod connection in the lab.
    struct Key: Hashable, CustomStringConvertible {
        var family: String, proto: String, source: String, sourcePort: Int
        var description: String { "\(proto)/\(family) \(source):\(sourcePort)" }
    }

    @Test("violations == conntrack(8)'s view == the connections that timed out")
    func labAudit() throws {
        let lab = try Lab.up("cta")
        defer { lab.down() }
        let connections = try lab.traffic(pairs: 8)
        #expect(connections.count == 72)

        let namespace = try NetworkNamespace.resolve(lab.nodeNamespace)
        let report = try Auditor(policy: Self.policy).run(namespace: namespace)
        let cli = try ConntrackCLIEntry.list(netns: lab.nodeNamespace, sourceNATed: true)

        let violations = Set(
            report.violations.map {
                Key(
                    family: $0.flow.family.description, proto: $0.flow.proto.name,
                    source: $0.flow.original.source.description, sourcePort: Int($0.flow.original.sourcePort))
            })
        let cliOutside = Set(
            cli.filter { entry in
                guard let port = entry.translatedPort else { return false }
                let pod = entry.original["src"] ?? ""
                return (pod.hasPrefix("10.244.0.") || pod.hasPrefix("fd00:10:244::")) && !(32768...65535).contains(port)
            }.map { Key(family: $0.family, proto: $0.proto, source: $0.original["src"]!, sourcePort: $0.originalSourcePort!) })
        let timedOut = Set(
            connections.filter(\.timedOut).map {
                Key(family: $0.family, proto: $0.proto, source: $0.source, sourcePort: $0.sourcePort)
            })

        #expect(violations == cliOutside, "ctaudit vs conntrack(8): \(violations.symmetricDifference(cliOutside))")
        #expect(violations == timedOut, "ctaudit vs timed-out connections: \(violations.symmetricDifference(timedOut))")
        // pod3's 8 kept low ports are always violations; pod2 adds its remaps below 32768.
        #expect(report.summary.violations >= 8)
        #expect(report.summary.violationsKeptPort == 8)
        #expect(report.summary.violationsUnreplied == report.summary.violations)
        #expect(
            report.summary.snat
                == cli.filter { ($0.original["src"] ?? "").hasPrefix("10.244.0.") || ($0.original["src"] ?? "").hasPrefix("fd00:10:244::") }
                .count)
        #expect(report.summary.remapped == 32)  // every pod2 connection clashes with pod1's
        #expect(report.violations.contains { $0.flow.family == .ipv6 })
        #expect(report.violations.contains { $0.flow.proto == .udp })
        #expect(report.violations.allSatisfy { $0.flow.proto != .tcp || $0.flow.protocolState?.name == "SYN_SENT" })

        // Same answer when the whole table is read and filtered in user space.
        let unfiltered = try Auditor(policy: Self.policy, kernelFilter: false).run(namespace: namespace)
        #expect(report.dump.kernelFiltered)
        #expect(!unfiltered.dump.kernelFiltered)
        #expect(Set(unfiltered.violations.map(\.flow.id)) == Set(report.violations.map(\.flow.id)))
        #expect(unfiltered.summary.flowsRead >= report.summary.flowsRead)
    }

    @Test("the CLI end to end: JSON, exit codes, and --allow covering every port")
    func cli() throws {
        let lab = try Lab.up("ctc")
        defer { lab.down() }
        let connections = try lab.traffic(pairs: 4)
        let timedOut = connections.filter(\.timedOut).count

        let json = try Shell.run(
            Shell.ctauditBinary,
            [
                "audit", "--netns", lab.nodeNamespace, "--pod-cidr", "10.244.0.0/24",
                "--pod-cidr", "fd00:10:244::/64", "--format", "json",
            ])
        #expect(json.status == 1, "violations exit 1: \(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary["violations"] == timedOut)
        #expect(object["netns"] as? String == lab.nodeNamespace)

        let text = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "--pod-cidr", "10.244.0.0/24"])
        #expect(text.status == 1)
        #expect(text.stdout.contains("[UNREPLIED]"))
        #expect(text.stdout.contains("fix:"))
        #expect(!text.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")

        let open = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "--allow", "0-65535"])
        #expect(open.status == 0, "\(open.stderr)")
        #expect(open.stdout.contains("no violations"))
    }

    @Test("reading another namespace leaves the thread in its own")
    func namespaceIsRestored() throws {
        let before = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")
        let name = "ctaudit-ns-\(UniqueName.tag(length: 6))"
        try Shell.sh("ip netns add \(name)")
        defer { _ = try? Shell.sh("ip netns del \(name)") }
        let report = try Auditor(policy: AuditPolicy()).run(namespace: try NetworkNamespace.resolve(name))
        #expect(report.summary.flows == 0)
        let after = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")
        #expect(before == after)
    }

    @Test("without CAP_NET_ADMIN: exit 3 and says what is needed")
    func unprivileged() throws {
        // util-linux (APT_PACKAGES in the Makefile) ships setpriv: missing, the test fails instead of passing unseen.
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "setpriv missing: run make test-deps")
        let result = try Shell.run(
            "/usr/bin/setpriv",
            [
                "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", Shell.ctauditBinary, "audit",
            ])
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("CAP_NET_ADMIN"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
