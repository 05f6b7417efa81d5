import Foundation
import Testing

/// "Cilium node" and "Calico node" labs without Cilium or Calico: maps with the
/// upstream key/value sizes are created, pinned and filled by
/// scripts/bpf-lab/bpfnatfill.c in a bpffs mounted inside a private mount
/// namespace (unshare -m), and ctaudit audits them in that same namespace.
/// The mount and the maps disappear with the namespace; conntrack is read
/// from an empty network namespace of the test's own (no conntrack NAT).
@Suite(
    "BPF dataplanes (private bpffs, binary)", .serialized,
    .enabled(if: Shell.isRoot && Shell.has("gcc") && Shell.has("unshare"), "needs root, gcc and unshare"))
struct BPFDataplaneLabTests {
    static let filler: Result<String, Shell.Failure> = {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("bpfnatfill-\(getpid())").path
        let source = Shell.packageRoot.appendingPathComponent("scripts/bpf-lab/bpfnatfill.c").path
        do {
            try Shell.sh("gcc -O2 -Wall -o \(output) \(source)")
            return .success(output)
        } catch let failure as Shell.Failure {
            return .failure(failure)
        } catch {
            return .failure(Shell.Failure(command: "gcc", status: -1, stderr: "\(error)"))
        }
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:] }
        var violations: [[String: Any]] { json["violations"] as? [[String: Any]] ?? [] }
        var dataplanes: [String: Any] { json["dataplanes"] as? [String: Any] ?? [:] }
        func counts(_ plane: String) -> [String: Int] {
            (dataplanes["counts"] as? [String: Any])?[plane] as? [String: Int] ?? [:]
        }
    }

    /// Mounts a bpffs at `bpffsPath(dir)` in a private mount namespace, fills
    /// it from `spec`, and runs `ctaudit audit` there against an empty netns.
    static func audit(
        spec: String, _ arguments: [String], bpffsUnder: String? = nil, keyByKey: Bool = false,
        subcommand: String = "audit"
    ) throws -> Run {
        let filler = try Self.filler.get()
        let namespace = Lab.uniquePrefix("bpf")
        try Shell.sh("ip netns add \(namespace)")
        defer { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", namespace]) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-bpffs-\(UUID().uuidString)")
        let mountPoint = directory.appendingPathComponent(bpffsUnder ?? "bpffs").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let specPath = directory.appendingPathComponent("spec").path
        try spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        // Everything after `unshare -m` happens in the private mount
        // namespace; `exec` makes ctaudit its last process, so the bpffs and
        // the pinned maps go away with it.
        let script = #"mount -t bpf bpf "$1" && "$2" "$1" < "$3" && shift 3 && exec "$@""#
        let result = try Shell.run(
            "/usr/bin/unshare",
            [
                "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", mountPoint, filler, specPath,
                Shell.ctauditBinary, subcommand, "--no-config", "--no-pods", "--netns", namespace,
            ]
                + arguments.map {
                    $0.replacingOccurrences(of: "@BPFFS", with: mountPoint).replacingOccurrences(of: "@DIR", with: directory.path)
                },
            environment: keyByKey ? ["CTAUDIT_BPF_BATCH": "0"] : nil)
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    static let ciliumNode = """
        cilium-map v4
        cilium-map v6
        # pod flows: translated below 32768 (violations) and inside the range
        cilium-snat tcp 10.0.1.5 40000 1.1.1.1 443 192.0.2.10 1024
        cilium-snat udp 10.0.1.7 42000 8.8.8.8 53 192.0.2.10 20000
        cilium-snat tcp 10.0.1.6 41000 1.1.1.1 443 192.0.2.10 45000
        cilium-snat tcp 10.0.1.9 33000 1.1.1.1 443 192.0.2.10 33000
        # the node's own connection, port and address kept: not source-NATed
        cilium-snat tcp 192.0.2.10 50000 1.1.1.1 443 192.0.2.10 50000
        # a NodePort DSR reply: egress entry without a reverse entry
        cilium-egress-only tcp 10.0.1.8 8080 203.0.113.5 55555 192.0.2.10 80
        cilium-snat tcp fd00:10::5 40000 2001:db8::1 443 2001:db8:ff::10 2000
        cilium-snat tcp fd00:10::6 40001 2001:db8::1 443 2001:db8:ff::10 40001
        """

    @Test(
        "Cilium node: every violating egress entry once (IPv4 and IPv6), reverse entries not counted, exit 1",
        arguments: [false, true])
    func ciliumNode(keyByKey: Bool) throws {
        let run = try Self.audit(
            spec: Self.ciliumNode,
            [
                "--bpffs", "@BPFFS", "--pod-cidr", "10.0.0.0/16", "--pod-cidr", "fd00:10::/64", "--format", "json",
            ], keyByKey: keyByKey)
        #expect(run.status == 1, "\(run.stderr)")
        let violations = run.violations
        #expect(violations.count == 3, "\(run.stdout)")
        let ports = violations.compactMap { ($0["translated"] as? [String: Any])?["sport"] as? Int }.sorted()
        #expect(ports == [1024, 2000, 20000])
        #expect(violations.allSatisfy { $0["dataplane"] as? String == "cilium" })
        let cilium = run.counts("cilium")
        #expect(cilium["violations"] == 3)
        #expect(cilium["snat"] == 6)  // 4 IPv4 pod flows (DSR not audited) + 2 IPv6
        #expect(run.counts("conntrack")["violations"] == 0)
        #expect(run.dataplanes["read"] as? [String] == ["conntrack", "cilium"])
        let maps = run.dataplanes["maps"] as? [[String: Any]] ?? []
        #expect(maps.count == 2)
        let v4 = try #require(maps.first { ($0["path"] as? String)?.hasSuffix("cilium_snat_v4_external") == true })
        #expect(v4["entries"] as? Int == 11)  // 5 pairs + 1 unpaired egress entry
        #expect(v4["translations"] as? Int == 6)
        #expect(v4["unpaired"] as? Int == 1)
        #expect((run.dataplanes["warnings"] as? [String])?.isEmpty == true)
        #expect(run.stderr.isEmpty, "\(run.stderr)")
    }

    @Test("Cilium node, text: says which dataplanes were read and tags the BPF evidence")
    func ciliumNodeText() throws {
        let run = try Self.audit(spec: Self.ciliumNode, ["--bpffs", "@BPFFS", "--pod-cidr", "10.0.0.0/16", "--pod-cidr", "fd00:10::/64"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("dataplanes read: conntrack, cilium (BPF, 8 translation(s))"), "\(run.stdout)")
        #expect(run.stdout.contains("[cilium BPF]"))
        #expect(run.stdout.contains("3 violation(s)"))
    }

    static let calicoNode = """
        calico-map v4 5
        calico-map v6 5
        # host connections to services whose source port collided; the
        # backends are other nodes (the API server, a host-network DNS), so
        # replies come back through the upstream firewall
        calico-psnat tcp 192.0.2.10 40001 20001 10.96.0.1 443 198.51.100.7 6443
        calico-psnat tcp 192.0.2.10 40002 33000 10.96.0.1 443 198.51.100.7 6443
        calico-psnat udp 192.0.2.10 40003 29999 10.96.0.53 53 198.51.100.9 53
        calico-normal tcp 10.0.1.5 40000 10.0.2.7 80
        calico-psnat tcp 2001:db8::10 40001 25000 fd00:96::1 443 2001:db8:7::7 6443
        # a backend pod on this node: node-local, never a violation
        calico-psnat tcp 192.0.2.10 40004 20004 10.96.0.20 80 10.0.2.8 8080
        """

    @Test("Calico node: every host-port NAT entry outside the range once (IPv4 and IPv6), exit 1", arguments: [false, true])
    func calicoNode(keyByKey: Bool) throws {
        let run = try Self.audit(
            spec: Self.calicoNode, ["--bpffs", "@BPFFS", "--pod-cidr", "10.0.0.0/16", "--format", "json"],
            keyByKey: keyByKey)
        #expect(run.status == 1, "\(run.stderr)")
        let ports = run.violations.compactMap { ($0["translated"] as? [String: Any])?["sport"] as? Int }.sorted()
        #expect(ports == [20001, 25000, 29999], "\(run.stdout)")
        #expect(run.violations.allSatisfy { $0["dataplane"] as? String == "calico" })
        let calico = run.counts("calico")
        #expect(calico["violations"] == 3)
        #expect(calico["snat"] == 4)
        #expect(calico["flows"] == 5)  // NAT_FWD twins and the NORMAL entry are not flows
        let summary = run.json["summary"] as? [String: Any] ?? [:]
        #expect(summary["node_local"] as? Int == 1)
        #expect(run.dataplanes["read"] as? [String] == ["conntrack", "calico"])
    }

    @Test("a map of unknown layout and an unknown Calico version: warned, never guessed; the rest is still audited")
    func unknownLayouts() throws {
        let spec = """
            cilium-map v4
            cilium-snat tcp 10.0.1.6 41000 1.1.1.1 443 192.0.2.10 45000
            raw-map cilium_snat_v6_external 38 48
            raw-map cali_v4_ct3 16 88
            """
        let run = try Self.audit(spec: spec, ["--bpffs", "@BPFFS", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let warnings = run.dataplanes["warnings"] as? [String] ?? []
        #expect(warnings.count == 2, "\(warnings)")
        #expect(
            warnings.contains { $0.contains("cilium_snat_v6_external") && $0.contains("unknown layout") && $0.contains("value 48 bytes") })
        #expect(warnings.contains { $0.contains("cali_v4_ct3") && $0.contains("version 3") })
        #expect(run.stderr.contains("ctaudit: warning: cilium NAT map present but not read"))
        #expect(run.counts("cilium")["snat"] == 1)

        let text = try Self.audit(spec: spec, ["--bpffs", "@BPFFS"])
        #expect(
            text.stdout.contains("no violations in what was read, but BPF NAT maps could not all be read (2 warning(s))"), "\(text.stdout)")
        let html = try Self.audit(spec: spec, ["--bpffs", "@BPFFS", "--format", "html"])
        #expect(html.stdout.contains("class=\"verdict warn\""))
        #expect(html.stdout.contains("NOT READ: "))
    }

    @Test("watch on a Cilium node says what it cannot see: the BPF NAT maps, on stderr and in its summary")
    func watchSaysBPFIsUnwatched() throws {
        let run = try Self.audit(
            spec: Self.ciliumNode, ["--root", "@DIR", "--duration", "1", "--format", "ndjson"],
            bpffsUnder: "sys/fs/bpf", subcommand: "watch")
        #expect(run.status == 0, "\(run.stderr)")
        let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning: not watched: cilium BPF NAT map") }
        #expect(warnings.count == 2, "\(run.stderr)")  // cilium_snat_v4_external and _v6_
        let summary = try #require(
            run.stdout.split(separator: "\n").last.flatMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            })
        let unwatched = try #require(summary["unwatched"] as? [String])
        #expect(unwatched.count == 2 && unwatched.allSatisfy { $0.contains("cilium_snat_v") }, "\(unwatched)")
        // Without BPF maps nothing is said and the list is empty.
        let plain = try Self.audit(
            spec: "", ["--root", "@DIR", "--duration", "1", "--format", "ndjson"],
            bpffsUnder: "sys/fs/bpf", subcommand: "watch")
        #expect(!plain.stderr.contains("not watched"), "\(plain.stderr)")
        #expect(plain.stdout.contains(#""unwatched":[]"#), "\(plain.stdout)")
    }

    @Test("--root R reads the maps under R/sys/fs/bpf")
    func rootRelocatesTheBpffs() throws {
        let run = try Self.audit(spec: Self.ciliumNode, ["--root", "@DIR", "--format", "json"], bpffsUnder: "sys/fs/bpf")
        #expect(run.status == 1, "\(run.stderr)")
        #expect((run.dataplanes["bpffs"] as? String)?.hasSuffix("/sys/fs/bpf") == true)
        #expect(run.counts("cilium")["violations"] == 3)
    }

    /// As `nobody` in a user+network namespace of its own (CAP_NET_ADMIN
    /// over its empty conntrack table, no access to the root-only pins).
    static func auditAsNobody(spec: String) throws -> Run {
        let filler = try Self.filler.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-bpffs-\(UUID().uuidString)")
        let mountPoint = directory.appendingPathComponent("bpffs").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Shell.sh("chmod 755 \(directory.path) \(mountPoint)")
        let specPath = directory.appendingPathComponent("spec").path
        try spec.write(toFile: specPath, atomically: true, encoding: .utf8)
        let script = #"mount -t bpf bpf "$1" && chmod 755 "$1" && "$2" "$1" < "$3" && shift 3 && exec "$@""#
        let result = try Shell.run(
            "/usr/bin/unshare",
            [
                "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", mountPoint, filler, specPath,
                "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "unshare", "-Urn",
                Shell.ctauditBinary, "audit", "--no-config", "--no-pods", "--bpffs", mountPoint, "--format", "json",
            ])
        return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
    }

    @Test(
        "without permission to the pins: a warning, never a clean report",
        .enabled(
            if: Shell.has("setpriv") && FileManager.default.isExecutableFile(atPath: Shell.ctauditBinary)
                && (try? Shell.sh("su -s /bin/sh nobody -c 'test -x \(Shell.ctauditBinary)'")) != nil,
            "needs setpriv and a ctaudit binary that nobody can run"))
    func permissionDenied() throws {
        let run = try Self.auditAsNobody(spec: Self.ciliumNode)
        #expect(run.status == 0, "\(run.stderr)")
        let warnings = run.dataplanes["warnings"] as? [String] ?? []
        #expect(warnings.count == 1, "\(run.stdout) \(run.stderr)")
        #expect(warnings.first?.contains("cannot look for BPF NAT maps") == true, "\(warnings)")
        #expect(run.stderr.contains("ctaudit: warning: cannot look for BPF NAT maps"))
    }

    @Test("--no-bpf: conntrack only, the maps are not looked for")
    func noBPF() throws {
        let run = try Self.audit(spec: Self.ciliumNode, ["--no-bpf", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.dataplanes["bpffs"] is NSNull)
        #expect(run.dataplanes["read"] as? [String] == ["conntrack"])
        let both = try Self.audit(spec: "", ["--no-bpf", "--bpffs", "@BPFFS"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("--no-bpf and --bpffs exclude each other"))
    }

    @Test("no bpffs maps: conntrack only, nothing to warn about")
    func noMaps() throws {
        let run = try Self.audit(spec: "", ["--bpffs", "@BPFFS", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.dataplanes["read"] as? [String] == ["conntrack"])
        #expect((run.dataplanes["maps"] as? [Any])?.isEmpty == true)
    }

    @Test("check, offline: a Cilium config with a low NodePort range is at risk; the printed change is safe")
    func checkCiliumConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let rules = directory.appendingPathComponent("nat.rules").path
        try "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let config = directory.appendingPathComponent("cilium-config.yaml").path
        try """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cilium-config, namespace: kube-system}
        data: {enable-bpf-masquerade: "true", node-port-range: "20000,22767"}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let risky = try Spawned.run(Shell.ctauditBinary, ["check", "--no-config", "--iptables-save", rules, "--cilium-config", config])
        #expect(risky.status == 1, "\(risky.stdout) \(risky.stderr)")
        #expect(risky.stdout.contains("cilium BPF dataplane"))
        #expect(risky.stdout.contains("ports 22768-65535"))
        #expect(
            risky.stdout.contains("helm upgrade cilium cilium/cilium -n kube-system --reuse-values --set nodePort.range=\"20000\\,32767\""),
            "\(risky.stdout)")
        // Applying the printed change clears the verdict.
        try """
        kind: ConfigMap
        data: {enable-bpf-masquerade: "true", node-port-range: "20000,32767"}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let fixed = try Spawned.run(
            Shell.ctauditBinary, ["check", "--no-config", "--iptables-save", rules, "--cilium-config", config, "--format", "json"])
        #expect(fixed.status == 0, "\(fixed.stdout) \(fixed.stderr)")
        let json = (try? JSONSerialization.jsonObject(with: Data(fixed.stdout.utf8))) as? [String: Any] ?? [:]
        let planes = json["dataplanes"] as? [[String: Any]] ?? []
        #expect(planes.first?["verdict"] as? String == "safe")
        #expect(planes.first?["ports"] as? [String: Int] == ["low": 32768, "high": 65535])

        let other = directory.appendingPathComponent("other.yaml").path
        try "kind: Secret\ndata: {}\n".write(toFile: other, atomically: true, encoding: .utf8)
        let nothing = try Spawned.run(Shell.ctauditBinary, ["check", "--no-config", "--iptables-save", rules, "--cilium-config", other])
        #expect(nothing.status == 0, "a file without cilium-config detects nothing: \(nothing.stderr)")
        let notYAML = try Spawned.run(Shell.ctauditBinary, ["check", "--no-config", "--iptables-save", rules, "--cilium-config", rules])
        #expect(notYAML.status == 2)
        #expect(notYAML.stderr.contains("\(rules): invalid YAML"), "\(notYAML.stderr)")
        try "kind: ConfigMap\ndata: {node-port-range: \"many\"}\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try Spawned.run(Shell.ctauditBinary, ["check", "--no-config", "--iptables-save", rules, "--cilium-config", config])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("node-port-range 'many'"), "\(bad.stderr)")
    }

    @Test("check, live: Calico's maps under the bpffs, default BPFPSNATPorts: at risk, prints the FelixConfiguration patch")
    func checkCalicoMaps() throws {
        let filler = try Self.filler.get()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-bpffs-\(UUID().uuidString)")
        let mountPoint = directory.appendingPathComponent("bpffs").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let namespace = Lab.uniquePrefix("bpc")
        try Shell.sh("ip netns add \(namespace)")
        defer { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", namespace]) }
        let specPath = directory.appendingPathComponent("spec").path
        try "calico-map v4 5\n".write(toFile: specPath, atomically: true, encoding: .utf8)
        let script = #"mount -t bpf bpf "$1" && "$2" "$1" < "$3" && shift 3 && exec "$@""#
        let result = try Shell.run(
            "/usr/bin/unshare",
            [
                "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh", mountPoint, filler, specPath,
                Shell.ctauditBinary, "check", "--no-config", "--netns", namespace, "--bpffs", mountPoint,
            ])
        #expect(result.status == 1, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("calico BPF dataplane"))
        #expect(result.stdout.contains("ports 20000-29999 (Calico's default BPFPSNATPorts 20000:29999)"))
        #expect(
            result.stdout.contains(
                "kubectl patch felixconfiguration default --type merge -p '{\"spec\":{\"bpfPSNATPorts\":\"61000:65535\"}}'"),
            "\(result.stdout)")
    }
}
