import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports
import TestSupport
import Testing

/// Kubernetes awareness against real namespaces: the lab's pods stand in for
/// pods, a temporary --root holds a fake node's CNI config, host-local IPAM
/// state and containerd sandbox file, and ctaudit must find the pod network,
/// name the pod behind each violation, and find pod3's low port range.
@Suite(
    "Kubernetes awareness (live namespaces)",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("iptables") && Shell.has("ip"), "needs iproute2 and iptables"))
struct KubernetesAwarenessTests {
    static let sandboxID = "5e1d7c3b9a8f6e4d2c0b1a2938475665748392a1b0c9d8e7f6a5b4c3d2e1f0a9"

    /// A node tree: a CNI conflist with the lab's pod networks, pod3's
    /// address allocated by host-local to `sandboxID`, and containerd's
    /// sandbox config naming the pod and its namespace.
    static func makeNodeRoot(podNamespace: String) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-k8s-\(UUID().uuidString)")
        func write(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try write(
            "etc/cni/net.d/10-lab.conflist",
            """
            {"cniVersion":"1.0.0","name":"lab","plugins":[{"type":"bridge","bridge":"cni0",
             "ipam":{"type":"host-local","ranges":[[{"subnet":"10.244.0.0/24"}],[{"subnet":"fd00:10:244::/64"}]]}}]}
            """)
        try write("var/lib/cni/networks/lab/10.244.0.4", "\(sandboxID)\r\neth0")
        try write("var/lib/cni/networks/lab/last_reserved_ip.0", "10.244.0.4")
        try write(
            "run/containerd/io.containerd.runtime.v2.task/k8s.io/\(sandboxID)/config.json",
            """
            {"ociVersion":"1.1.0","annotations":{"io.kubernetes.cri.container-type":"sandbox",
             "io.kubernetes.cri.sandbox-name":"low-ports-0","io.kubernetes.cri.sandbox-namespace":"batch",
             "io.kubernetes.cri.sandbox-uid":"11111111-2222-3333-4444-555555555555"},
             "linux":{"namespaces":[{"type":"pid"},{"type":"network","path":"/var/run/netns/\(podNamespace)"}]}}
            """)
        return root
    }

    /// `sleep 600` inside `namespace` (ip netns exec execs it: same pid),
    /// not waited for; stdio on /dev/null so nothing keeps the test's output open.
    /// posix_spawn + waitpid like Shell.run (Foundation's Process can miss SIGCHLD).
    static func startProcess(in namespace: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in [0, 1, 2] {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let arguments = ["ip", "netns", "exec", namespace, "sleep", "600"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Test threads block most signals and a spawned child inherits the mask:
        // unblock everything so SIGTERM ends it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, "ip", &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw Shell.Failure(command: arguments.joined(separator: " "), status: -1, stderr: "spawn failed") }
        // Until ip has entered the namespace and exec'd sleep, the pid is outside it.
        for _ in 0..<250 {
            if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"), link.hasSuffix("/sleep") { break }
            usleep(20_000)
        }
        return pid
    }

    static func stop(_ pid: pid_t) {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    @Test func violationNamesThePodAndPod3sPortRangeIsACause() throws {
        let lab = try Lab.up("k8")
        defer { lab.down() }
        let pod3 = "\(lab.prefix)-pod3"
        // A process in the pod's namespace, like its pause container.
        let sleeper = try Self.startProcess(in: pod3)
        defer { Self.stop(sleeper) }
        let root = try Self.makeNodeRoot(podNamespace: pod3)
        defer { try? FileManager.default.removeItem(at: root) }

        _ = try lab.traffic(pairs: 2, timeout: 2)
        let run = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "--root", root.path, "--format", "json"])
        #expect(run.status == 1, "stderr: \(run.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])

        let policy = try #require(document["policy"] as? [String: Any])
        #expect(policy["pod_cidrs_source"] as? String == "discovered")
        #expect(policy["pod_cidrs"] as? [String] == ["10.244.0.0/24", "fd00:10:244::/64"])
        let found = try #require(policy["pod_cidrs_found"] as? [[String: Any]])
        #expect(found.allSatisfy { ($0["file"] as? String)?.hasSuffix("/etc/cni/net.d/10-lab.conflist") == true })

        let violations = try #require(document["violations"] as? [[String: Any]])
        let fromPod3 = violations.filter { (($0["original"] as? [String: Any])?["src"] as? String) == "10.244.0.4" }
        #expect(fromPod3.count >= 2, "pod3 keeps its low ports: every one of its flows is a violation")
        for violation in fromPod3 {
            let pod = try #require(violation["pod"] as? [String: Any])
            #expect(pod["ip"] as? String == "10.244.0.4")
            #expect(pod["lookup"] as? String == "identified")
            #expect(pod["container_id"] as? String == Self.sandboxID)
            #expect(pod["netns"] as? String == pod3)
            #expect(pod["name"] as? String == "low-ports-0")
            #expect(pod["namespace"] as? String == "batch")
        }
        // pod3's IPv6 address has no IPAM file; the live namespace pins it to the same pod.
        let pod3v6 = violations.filter { (($0["original"] as? [String: Any])?["src"] as? String) == "fd00:10:244::4" }
        #expect(!pod3v6.isEmpty)
        for violation in pod3v6 {
            #expect((violation["pod"] as? [String: Any])?["netns"] as? String == pod3)
        }

        let kubernetes = try #require(document["kubernetes"] as? [String: Any])
        let ranges = try #require(kubernetes["pod_port_ranges"] as? [[String: Any]])
        let mine = try #require(ranges.first { (($0["pod"] as? [String: Any])?["netns"] as? String) == pod3 })
        let range = try #require(mine["ip_local_port_range"] as? [String: Any])
        #expect(range["low"] as? Int == 1024 && range["high"] as? Int == 2047)
        #expect((mine["kept_port_violations"] as? Int ?? 0) >= 2)
        // Parallel labs have a pod1 and pod2 too; none of this lab's is flagged.
        #expect(!ranges.contains { (($0["pod"] as? [String: Any])?["netns"] as? String)?.hasPrefix("\(lab.prefix)-pod1") == true })

        let text = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "--root", root.path])
        #expect(text.stdout.contains("pod networks: discovered: 10.244.0.0/24 from \(root.path)/etc/cni/net.d/10-lab.conflist"))
        #expect(text.stdout.contains("pod 10.244.0.4 batch/low-ports-0 (netns \(pod3)): "))
    }

    @Test func livenamespaceIndexSeesTheProcessAndTheAddresses() throws {
        let lab = try Lab.up("k8")
        defer { lab.down() }
        let pod2 = "\(lab.prefix)-pod2"
        let sleeper = try Self.startProcess(in: pod2)
        defer { Self.stop(sleeper) }

        let index = LiveNamespaceIndex.scan(excluding: [try NetworkNamespace.resolve(lab.nodeNamespace)])
        let withProcess = try #require(index.namespaces.first { $0.names.contains(pod2) })
        #expect(withProcess.pids.contains(sleeper))
        #expect(withProcess.addresses.contains(IPAddress("10.244.0.3")!))
        #expect(withProcess.addresses.contains(IPAddress("fd00:10:244::3")!))
        // Without a process, the addresses are read by entering /run/netns/NAME.
        let pod1 = try #require(index.namespaces.first { $0.names.contains("\(lab.prefix)-pod1") })
        #expect(pod1.addresses.contains(IPAddress("10.244.0.2")!))
        // The audited node namespace is the node, not a pod.
        #expect(!index.namespaces.contains { $0.names.contains(lab.nodeNamespace) })
        // Root reads (nearly) every process. A sandbox's own supervisor as
        // PID 1 can refuse even root, so a warning may name a few, never most.
        for warning in index.warnings where warning.subject == "/proc/PID/ns/net" {
            let numbers = warning.message.split(separator: " ").compactMap { Int($0) }
            #expect(numbers.count >= 2 && numbers[0] * 2 < numbers[1], "\(warning)")
        }
    }

    @Test func routesInTheAuditedNamespaceAreTheLastResort() throws {
        let name = "k8rt\(UniqueName.tag())"
        try Shell.sh("ip netns add \(name)")
        defer {
            _ = try? Shell.run("/sbin/ip", ["netns", "del", name])
            _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", name])
        }
        // A bridge named like the CNI's, with the node's pod subnet on it.
        try Shell.sh(
            "ip -n \(name) link add cni0 type bridge && ip -n \(name) addr add 10.77.3.1/24 dev cni0 && ip -n \(name) link set cni0 up")
        // Issue 22: what a real node's tables also hold beside the pod subnets: with
        // forwarding on, the kernel adds a local route for the bridge's own IPv6
        // address and an anycast route for its subnet (both /128), and a CNI may
        // route single pods (/32). None of them is a pod network.
        try Shell.sh(
            """
            ip netns exec \(name) sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.default.accept_dad=0
            ip -n \(name) addr add fd00:77:3::1/64 dev cni0 nodad
            ip -n \(name) route add 10.77.9.5/32 dev cni0
            ip -n \(name) -6 route add fd00:77:9::5/128 dev cni0
            """)
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-k8s-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }

        // A tree without routes of its own finds nothing; given the audited namespace
        // (what the live host does), it finds the bridge's subnet. The tree is empty, so
        // no CNI file of this machine can make routes look unneeded: the assertions always run.
        let offline = PodNetworkDiscovery(root: NodeRoot(empty.path)).discover()
        #expect(offline.networks.isEmpty)
        let live = PodNetworkDiscovery(root: NodeRoot(empty.path), routesNamespace: try NetworkNamespace.resolve(name)).discover()
        #expect(
            live.networks == [try IPNetwork(parsing: "10.77.3.0/24"), try IPNetwork(parsing: "fd00:77:3::/64")],
            "\(live.found.map(\.network))")
        let anycast = try Shell.sh("ip -n \(name) -6 route show table local").stdout
        #expect(anycast.contains("anycast fd00:77:3::") && anycast.contains("local fd00:77:3::1"), "the kernel made both: \(anycast)")
        #expect(live.found.first?.detail == "dev cni0")
        #expect(live.found.first?.file == "/proc/net/route in netns \(name)")
    }
}
