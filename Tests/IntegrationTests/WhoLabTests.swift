import Foundation
import Testing

/// `ctaudit who` against the incident lab (scripts/lab.sh): every violation
/// audit reports, asked by its translated endpoint, names its pod; an
/// endpoint with no flow exits 1; and a capture taken on the lab's upstream
/// side (the gateway's node-facing interface) gives back exactly the
/// violating flows as unanswered SYNs and datagrams, each traced to its pod.
@Suite(
    "who against the lab",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("tcpdump"), "needs tcpdump (APT_PACKAGES in the Makefile)"))
struct WhoLabTests {
    /// One violation as audit -o json gives it.
    struct Violation: Hashable, CustomStringConvertible {
        var id: Int
        var proto: String
        var endpoint: String
        var remote: String
        var podIP: String
        var podNetns: String?
        var description: String { "\(proto) \(endpoint) -> \(remote) (\(podIP), \(podNetns ?? "-"))" }
    }

    static func endpoint(_ address: String, _ port: Int) -> String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    /// scripts/lab.sh: pod1 is .2 (10.244.0.2, fd00:10:244::2), pod2 .3, pod3 .4.
    static func podNamespace(_ address: String, lab: Lab) -> String {
        let last = address.split(whereSeparator: { $0 == "." || $0 == ":" }).last.flatMap { Int($0) } ?? 0
        return lab.podNamespace(last - 1)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    static func violations(lab: Lab) throws -> [Violation] {
        let audit = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "-o", "json"])
        #expect(audit.status == 1, "\(audit.stderr)")
        let list = try #require(try json(audit.stdout)["violations"] as? [[String: Any]])
        return try list.map { item in
            let translated = try #require(item["translated"] as? [String: Any])
            let reply = try #require(item["reply"] as? [String: Any])
            let pod = try #require(item["pod"] as? [String: Any])
            return Violation(
                id: try #require(item["id"] as? Int), proto: try #require(item["proto"] as? String),
                endpoint: endpoint(try #require(translated["src"] as? String), try #require(translated["sport"] as? Int)),
                remote: endpoint(try #require(reply["src"] as? String), try #require(reply["sport"] as? Int)),
                podIP: try #require(pod["ip"] as? String), podNetns: pod["netns"] as? String)
        }
    }

    /// tcpdump inside `namespace` on `interface`, writing `path`, until `stop`.
    /// Bounded: `timeout` ends it even if the test never stops it.
    struct Capture {
        var pid: Int32
        var path: String

        static func start(namespace: String, interface: String, path: String) throws -> Capture {
            let log = path + ".log"
            let started = try Shell.sh(
                "timeout 120 ip netns exec \(namespace) tcpdump -n -U -i \(interface) -w \(path) 'tcp or udp' >/dev/null 2>\(log) & echo $!"
            )
            let pid = try #require(Int32(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
            for _ in 0..<200 {
                if let text = try? String(contentsOfFile: log, encoding: .utf8), text.contains("listening on") { break }
                usleep(25_000)
            }
            return Capture(pid: pid, path: path)
        }

        /// SIGINT: tcpdump writes out what it has and exits.
        func stop() {
            kill(pid, SIGINT)
            for _ in 0..<200 where kill(pid, 0) == 0 { usleep(25_000) }
            try? FileManager.default.removeItem(atPath: path + ".log")
        }
    }

    @Test("who names the pod of every violation; no flow exits 1; --pcap and --from-log find the unanswered ones")
    func everyViolation() throws {
        let lab = try Lab.up("wh")
        defer { lab.down() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-who-\(UUID().uuidString).pcap").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let capture = try Capture.start(namespace: "\(lab.prefix)-gw", interface: "int0", path: path)
        let connections = try lab.traffic(pairs: 3, timeout: 2)
        // The last retransmissions reach the gateway before the capture stops.
        usleep(300_000)
        capture.stop()
        let timedOut = connections.filter(\.timedOut)

        let violations = try Self.violations(lab: lab)
        #expect(violations.count == timedOut.count, "\(violations) vs \(timedOut)")
        #expect(!violations.isEmpty)
        for violation in violations {
            let run = try Shell.run(Shell.ctauditBinary, ["who", violation.endpoint, "--netns", lab.nodeNamespace, "-o", "json"])
            #expect(run.status == 0, "\(violation): \(run.stderr)")
            let document = try Self.json(run.stdout)
            #expect(document["schema"] as? String == "ctaudit.who/v1")
            // One endpoint: the kernel filters on the reply tuple (IPv4 by address too), so
            // only a handful of the lab's ~70 entries cross into user space.
            let summary = try #require(document["summary"] as? [String: Any])
            #expect(summary["kernel_filtered"] as? Bool == true)
            #expect((summary["entries_read"] as? Int ?? 99) <= 12, "\(summary)")
            let answers = try #require(document["answers"] as? [[String: Any]])
            let flows = try #require(answers.first?["flows"] as? [[String: Any]])
            let flow = try #require(flows.first { $0["id"] as? Int == violation.id }, "\(violation) not among \(flows.count) flows")
            let pod = try #require(flow["pod"] as? [String: Any])
            #expect(pod["ip"] as? String == violation.podIP)
            // The lab's pod N has address .N+1; other labs running beside this one hold the
            // same addresses, and who still names the namespace of this lab's pod.
            #expect(pod["netns"] as? String == Self.podNamespace(violation.podIP, lab: lab))
            #expect(pod["lookup"] as? String == "identified")
            #expect(flow["violates"] as? Bool == true)
            #expect(flow["verdict"] as? String == "violation")
            #expect(flow["unreplied"] as? Bool == true)
            // Narrowed to the remote and protocol, the same flow; text names the pod's netns.
            let text = try Shell.run(
                Shell.ctauditBinary,
                [
                    "who", violation.endpoint, violation.remote, "--proto", violation.proto,
                    "--netns", lab.nodeNamespace,
                ])
            #expect(text.status == 0, "\(text.stderr)")
            #expect(text.stdout.contains(Self.podNamespace(violation.podIP, lab: lab)), "\(text.stdout)")
            #expect(text.stdout.contains("violation"))
        }

        // No flow: a port nothing used, in both families; the wrong remote.
        for endpoint in ["198.51.100.2:9", "[2001:db8:1::2]:9"] {
            let none = try Shell.run(Shell.ctauditBinary, ["who", endpoint, "--netns", lab.nodeNamespace])
            #expect(none.status == 1, "\(endpoint): \(none.stdout) \(none.stderr)")
            #expect(none.stdout.contains("no flow"))
        }
        let first = try #require(violations.first)
        let wrongRemote = try Shell.run(
            Shell.ctauditBinary, ["who", first.endpoint, "--remote", "192.0.2.99:1", "--netns", lab.nodeNamespace])
        #expect(wrongRemote.status == 1)

        // Bad input: exit 2, one line.
        let bad = try Shell.run(Shell.ctauditBinary, ["who", "198.51.100.2", "--netns", lab.nodeNamespace])
        #expect(bad.status == 2)
        #expect(bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        #expect(bad.stdout.isEmpty)

        // The capture: its unanswered SYNs and datagrams are exactly the violations, each traced to its pod.
        let pcap = try Shell.run(Shell.ctauditBinary, ["who", "--pcap", path, "--netns", lab.nodeNamespace, "-o", "json"])
        #expect(pcap.status == 0, "\(pcap.stderr)")
        let document = try Self.json(pcap.stdout)
        let answers = try #require(document["answers"] as? [[String: Any]])
        var traced: [String: String] = [:]
        for answer in answers {
            let query = try #require(answer["query"] as? [String: Any])
            let key = "\(query["proto"] as? String ?? "?") \(query["endpoint"] as? String ?? "?")"
            let flows = try #require(answer["flows"] as? [[String: Any]])
            #expect(flows.count == 1, "\(key)")
            traced[key] = (flows.first?["pod"] as? [String: Any])?["netns"] as? String
        }
        let expected = Dictionary(
            uniqueKeysWithValues: violations.map { ("\($0.proto) \($0.endpoint)", Self.podNamespace($0.podIP, lab: lab)) })
        #expect(Set(traced.keys) == Set(expected.keys), "unanswered vs violations: \(Set(traced.keys).symmetricDifference(expected.keys))")
        for (key, netns) in traced { #expect(netns == expected[key], "\(key)") }
        let input = try #require(document["input"] as? [String: Any])
        #expect(input["capped"] as? Bool == false)
        #expect(input["answered"] as? Int == connections.count - timedOut.count)

        // The same capture as tcpdump -n text, line by line: every violation's SYN or datagram is traced.
        let lines = try Shell.sh(
            "tcpdump -n -r \(path) 2>/dev/null | \(Shell.ctauditBinary) who --from-log - --netns \(lab.nodeNamespace) -o json; true")
        let log = try Self.json(lines.stdout)
        let logAnswers = try #require(log["answers"] as? [[String: Any]])
        let tracedEndpoints = Set(
            logAnswers.compactMap { answer -> String? in
                guard answer["found"] as? Bool == true, let query = answer["query"] as? [String: Any] else { return nil }
                return query["endpoint"] as? String
            })
        #expect(Set(violations.map(\.endpoint)).isSubset(of: tracedEndpoints))
    }

    @Test("with the node's files (--root), who gives the pod's name, namespace and container id, as audit does")
    func podNameFromTheNodesFiles() throws {
        let lab = try Lab.up("wk")
        defer { lab.down() }
        let pod3 = lab.podNamespace(3)
        let sleeper = try KubernetesAwarenessTests.startProcess(in: pod3)
        defer { KubernetesAwarenessTests.stop(sleeper) }
        let root = try KubernetesAwarenessTests.makeNodeRoot(podNamespace: pod3)
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try lab.traffic(pairs: 2, timeout: 2)

        let audit = try Shell.run(Shell.ctauditBinary, ["audit", "--netns", lab.nodeNamespace, "--root", root.path, "-o", "json"])
        let violations = try #require(try Self.json(audit.stdout)["violations"] as? [[String: Any]])
        let fromPod3 = violations.filter { ($0["pod"] as? [String: Any])?["ip"] as? String == "10.244.0.4" }
        #expect(fromPod3.count >= 2)
        for violation in fromPod3 {
            let translated = try #require(violation["translated"] as? [String: Any])
            let endpoint = Self.endpoint(try #require(translated["src"] as? String), try #require(translated["sport"] as? Int))
            let run = try Shell.run(
                Shell.ctauditBinary, ["who", endpoint, "--netns", lab.nodeNamespace, "--root", root.path, "-o", "json"])
            #expect(run.status == 0, "\(run.stderr)")
            let answers = try #require(try Self.json(run.stdout)["answers"] as? [[String: Any]])
            let flows = try #require(answers.first?["flows"] as? [[String: Any]])
            let pod = try #require(flows.first?["pod"] as? [String: Any])
            #expect(pod["name"] as? String == "low-ports-0")
            #expect(pod["namespace"] as? String == "batch")
            #expect(pod["container_id"] as? String == KubernetesAwarenessTests.sandboxID)
            #expect(pod["netns"] as? String == pod3)
            let text = try Shell.run(Shell.ctauditBinary, ["who", endpoint, "--netns", lab.nodeNamespace, "--root", root.path])
            #expect(text.stdout.contains("batch/low-ports-0"), "\(text.stdout)")
        }
    }

    @Test("two labs hold the same pod addresses: audit cannot pin the pod, who pins it by the node's veth")
    func podPinnedByTheNodesLinks() throws {
        let lab = try Lab.up("wp")
        defer { lab.down() }
        let twin = try Lab.up("wt")
        defer { twin.down() }
        _ = try lab.traffic(pairs: 1, timeout: 1)
        let violations = try Self.violations(lab: lab)
        let violation = try #require(violations.first)
        #expect(violation.podNetns == nil, "audit sees two live namespaces with \(violation.podIP)")
        let run = try Shell.run(Shell.ctauditBinary, ["who", violation.endpoint, "--netns", lab.nodeNamespace, "-o", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let answers = try #require(try Self.json(run.stdout)["answers"] as? [[String: Any]])
        let pod = try #require((answers.first?["flows"] as? [[String: Any]])?.first?["pod"] as? [String: Any])
        #expect(pod["lookup"] as? String == "identified")
        #expect(pod["netns"] as? String == Self.podNamespace(violation.podIP, lab: lab))
        #expect((pod["evidence"] as? [String])?.contains { $0.contains("linked to the node's namespace") } == true)
    }

    @Test("Cilium's BPF NAT map: who finds the translation there, judged as audit judges it")
    func ciliumMap() throws {
        let found = try BPFDataplaneLabTests.audit(
            spec: BPFDataplaneLabTests.ciliumNode,
            [
                "192.0.2.10:1024", "--bpffs", "@BPFFS", "--pod-cidr", "10.0.0.0/16", "-o", "json",
            ], subcommand: "who")
        #expect(found.status == 0, "\(found.stderr)")
        let answers = found.json["answers"] as? [[String: Any]] ?? []
        let flow = try #require((answers.first?["flows"] as? [[String: Any]])?.first)
        #expect(flow["dataplane"] as? String == "cilium")
        #expect(flow["verdict"] as? String == "violation")
        #expect((flow["original"] as? [String: Any])?["src"] as? String == "10.0.1.5")
        let six = try BPFDataplaneLabTests.audit(
            spec: BPFDataplaneLabTests.ciliumNode,
            [
                "[2001:db8:ff::10]:40001", "--bpffs", "@BPFFS", "--pod-cidr", "fd00:10::/64",
            ], subcommand: "who")
        #expect(six.status == 0, "\(six.stderr)")
        #expect(six.stdout.contains("allowed"), "\(six.stdout)")
        let none = try BPFDataplaneLabTests.audit(
            spec: BPFDataplaneLabTests.ciliumNode, ["192.0.2.10:9", "--bpffs", "@BPFFS"],
            subcommand: "who")
        #expect(none.status == 1, "\(none.stdout) \(none.stderr)")
    }
}
