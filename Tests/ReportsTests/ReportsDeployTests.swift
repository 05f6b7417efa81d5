import Conntrack
import Foundation
import TestSupport
import Testing
import Yams

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// deploy/ is validated offline: no cluster runs here, so the manifests go
/// through kubernetes-validate's schemas and the rules through promtool.
@Suite("Reports: deploy manifests")
struct ReportsDeployTests {
    static let deploy = DeployFiles.directory
    static let manifests = ["daemonset.yaml", "daemonset-textfile.yaml", "cronjob.yaml"].map { deploy.appendingPathComponent($0).path }

    static func documents(_ name: String) throws -> [Node] {
        let text = try String(contentsOf: deploy.appendingPathComponent(name), encoding: .utf8)
        return try Yams.compose_all(yaml: text).compactMap { $0 }
    }

    @Test(
        .enabled(
            if: ExternalTool.has("kubernetes-validate"), "kubernetes-validate missing: pip install kubernetes-validate (make deps does)"))
    func manifestsPassKubernetesSchemas() throws {
        let result = try ExternalTool.run("kubernetes-validate", ["--strict"] + Self.manifests)
        #expect(result.status == 0, "kubernetes-validate: \(result.stdout)\(result.stderr)")
        // Namespace and ConfigMap in each, then the DaemonSet or the CronJob.
        #expect(result.stdout.components(separatedBy: "passed for resource").count - 1 == 9)
    }

    @Test(
        .enabled(
            if: ExternalTool.has("kubernetes-validate"), "kubernetes-validate missing: pip install kubernetes-validate (make deps does)"))
    func validatorRejectsABrokenManifest() throws {
        let directory = try ReportsFixtures.temporaryDirectory("deploy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let broken = directory.appendingPathComponent("broken.yaml")
        let text = try String(contentsOfFile: Self.manifests[0], encoding: .utf8)
            .replacingOccurrences(of: "hostNetwork: true", with: "hostNetwork: true\n      hostNetwrk: true")
        try text.write(to: broken, atomically: true, encoding: .utf8)
        let result = try ExternalTool.run("kubernetes-validate", ["--strict", broken.path])
        #expect(result.status != 0, "a misspelt field passed validation, so the test above proves nothing")
    }

    /// The default: one `watch` process serving counters, ready once /metrics answers.
    @Test func daemonSetRunsTheWatchCounters() throws {
        let pod = try Self.daemonSetPod(Self.documents("daemonset.yaml"))
        #expect(pod["hostNetwork"]?.bool == true)
        let container = try #require(pod["containers"]?.array().first)
        #expect(container["command"]?.array().compactMap(\.string) == ["ctaudit"])
        let args = container["args"]?.array().compactMap(\.string) ?? []
        #expect(args.first == "watch")
        #expect(args.contains("--listen=$(HOST_IP):9814"))
        #expect(!args.contains { $0.contains("--textfile") || $0.contains("sleep") })
        #expect(container["env"]?.array().first?["valueFrom"]?["fieldRef"]?["fieldPath"]?.string == "status.hostIP")
        #expect(container["readinessProbe"]?["httpGet"]?["path"]?.string == "/metrics")
        #expect(container["ports"]?.array().first?["containerPort"]?.int == 9814)
    }

    @Test func textfileDaemonSetReadsTheHostTableAndWritesTheTextfile() throws {
        let pod = try Self.daemonSetPod(Self.documents("daemonset-textfile.yaml"))
        #expect(pod["hostNetwork"]?.bool == true)
        let container = try #require(pod["containers"]?.array().first)
        #expect(container["securityContext"]?["capabilities"]?["drop"]?.array().compactMap(\.string) == ["ALL"])
        let script = container["args"]?.array().first?.string ?? ""
        #expect(script.contains("--textfile /textfile/ctaudit.prom"))
        #expect(script.contains("--textfile /textfile/ctaudit-stats.prom"))
        #expect(script.contains("sleep"))
        let mount = container["volumeMounts"]?.array().first { $0["mountPath"]?.string == "/textfile" }
        let volume = pod["volumes"]?.array().first { $0["name"]?.string == mount?["name"]?.string }
        #expect(volume?["hostPath"]?["path"]?.string == "/var/lib/node_exporter/textfile_collector")
    }

    /// Kubernetes awareness: the host's processes, the capabilities the code
    /// needs (and no others), AppArmor out of the way of ptrace-mode reads.
    /// Only the textfile loop names pods; watch never does (see below).
    @Test func textfileDaemonSetCanNamePods() throws {
        let pod = try Self.daemonSetPod(Self.documents("daemonset-textfile.yaml"))
        #expect(pod["hostPID"]?.bool == true)
        let container = try #require(pod["containers"]?.array().first)
        let security = try #require(container["securityContext"])
        #expect(
            security["capabilities"]?["add"]?.array().compactMap(\.string) == [
                "NET_ADMIN", "NET_RAW", "DAC_OVERRIDE", "SYS_ADMIN", "SYS_PTRACE",
            ])
        #expect(security["privileged"] == nil)
        #expect(security["readOnlyRootFilesystem"]?.bool == true)
        #expect(security["runAsNonRoot"]?.bool == true)
        #expect(security["appArmorProfile"]?["type"]?.string == "Unconfined")
        let script = (container["args"]?.array().compactMap(\.string) ?? []).joined(separator: " ")
        #expect(script.contains("ctaudit audit --config /etc/ctaudit/config.yaml --root /host"))
        #expect(script.contains("ctaudit stats --config /etc/ctaudit/config.yaml --root /host"))
        #expect(!script.contains("--no-pods"))
        // Every host mount but the textfile directory is read-only.
        for mount in container["volumeMounts"]?.array() ?? [] where mount["mountPath"]?.string != "/textfile" {
            #expect(mount["readOnly"]?.bool == true, "\(mount)")
        }
        // Namespaces made after the pod started must show up: HostToContainer.
        let netns = container["volumeMounts"]?.array().first { $0["mountPath"]?.string == "/run/netns" }
        #expect(netns?["mountPropagation"]?.string == "HostToContainer")
    }

    /// watch names no pods (NodeRootOptions): no hostPID, no ptrace, no
    /// setns; conntrack netlink and reading the node's files is all it does.
    @Test func watchDaemonSetHasOnlyWhatWatchNeeds() throws {
        let pod = try Self.daemonSetPod(Self.documents("daemonset.yaml"))
        #expect(pod["hostPID"] == nil)
        let container = try #require(pod["containers"]?.array().first)
        let security = try #require(container["securityContext"])
        #expect(security["capabilities"]?["add"]?.array().compactMap(\.string) == ["NET_ADMIN", "DAC_READ_SEARCH"])
        #expect(security["appArmorProfile"] == nil)
        #expect(security["runAsUser"]?.int == 65532 && security["runAsNonRoot"]?.bool == true)
        let args = (container["args"]?.array().compactMap(\.string) ?? []).joined(separator: " ")
        #expect(args.contains("watch --config=/etc/ctaudit/config.yaml --root=/host"))
        for mount in container["volumeMounts"]?.array() ?? [] {
            #expect(mount["readOnly"]?.bool == true, "\(mount)")
        }
    }

    /// The node paths ctaudit reads (docs/KUBERNETES.md) and where the
    /// DaemonSet mounts them: `ROOT + path` from a hostPath of `path`.
    static func nodePaths() -> [String] {
        PodNetworkDiscovery.cniConfigDirectories + PodNetworkDiscovery.flannelSubnetEnvFiles
            + PodNetworkDiscovery.flannelNetConfFiles + PodNetworkDiscovery.calicoManifestDirectories
            + PodNetworkDiscovery.kubeProxyArgumentFiles + [HostLocalIPAMState.directory, "/proc/net/route", "/proc/net/ipv6_route"]
            + ContainerRuntimeState.bundleConfigPaths.map { $0.components(separatedBy: "/ID/").first ?? $0 }
    }

    /// Whether a mount of the pod shows `nodePath` at /host + nodePath.
    static func mounts(_ pod: Node, _ nodePath: String) -> Bool {
        let container = pod["containers"]?.array().first
        return (pod["volumes"]?.array() ?? []).contains { volume in
            guard let path = volume["hostPath"]?["path"]?.string, nodePath == path || nodePath.hasPrefix(path + "/") else { return false }
            return (container?["volumeMounts"]?.array() ?? []).contains {
                $0["name"]?.string == volume["name"]?.string && $0["mountPath"]?.string == "/host" + path
            }
        }
    }

    /// The manifest with every optional block (k3s, MicroK8s, CRI-O, Calico) uncommented.
    static func withEveryOptionalMount(_ manifest: String = "daemonset.yaml") throws -> String {
        let text = try String(contentsOf: deploy.appendingPathComponent(manifest), encoding: .utf8)
        let keys = ["- name: ", "mountPath: ", "readOnly: ", "recursiveReadOnly: ", "hostPath:", "path: ", "type: "]
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let hash = line.firstIndex(of: "#"), line[..<hash].allSatisfy({ $0 == " " }),
                line[hash...].hasPrefix("# ")
            else { return String(line) }
            let rest = line[line.index(hash, offsetBy: 2)...]
            guard keys.contains(where: { rest.drop { $0 == " " }.hasPrefix($0) }) else { return String(line) }
            return String(line[..<hash]) + rest
        }.joined(separator: "\n")
    }

    /// Pod network discovery's files in both DaemonSets (and the CronJob);
    /// attribution's only where pods are named (the textfile loop).
    @Test(arguments: ["daemonset.yaml", "daemonset-textfile.yaml", "cronjob.yaml"])
    func manifestsMountWhatDiscoveryAndAttributionRead(_ manifest: String) throws {
        let names = manifest == "daemonset-textfile.yaml"
        func pod(_ documents: [Node]) throws -> Node {
            if manifest == "cronjob.yaml" {
                let job = try #require(documents.first { $0["kind"]?.string == "CronJob" })
                return try #require(job["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"])
            }
            return try Self.daemonSetPod(documents)
        }
        // Active: the layout of containerd nodes.
        let active = try pod(Self.documents(manifest))
        for path in ["/etc/cni/net.d", "/run/flannel/subnet.env", "/proc/net/route", "/sys/fs/bpf"] {
            #expect(Self.mounts(active, path), "\(path) is not mounted under /host")
        }
        for path in ["/var/lib/cni/networks", "/run/containerd/io.containerd.runtime.v2.task/k8s.io"] {
            #expect(Self.mounts(active, path) == names, "\(path): mounted only where pods are named")
        }
        // With the distribution blocks uncommented: every path the code reads but
        // kube-flannel's net-conf.json (a ConfigMap inside flannel's pod, not a node file).
        let everything = try pod(Yams.compose_all(yaml: Self.withEveryOptionalMount(manifest)).compactMap { $0 })
        let attribution =
            [HostLocalIPAMState.directory] + ContainerRuntimeState.bundleConfigPaths.map { $0.components(separatedBy: "/ID/").first ?? $0 }
        for path in Self.nodePaths() where path != "/etc/kube-flannel/net-conf.json" {
            let wanted = names || !attribution.contains(path)
            #expect(Self.mounts(everything, path) == wanted, "\(path) mounted: \(!wanted), even commented")
        }
    }

    @Test(
        .enabled(
            if: ExternalTool.has("kubernetes-validate"), "kubernetes-validate missing: pip install kubernetes-validate (make deps does)"))
    func optionalMountsStayValidWhenUncommented() throws {
        let directory = try ReportsFixtures.temporaryDirectory("deploy")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("daemonset-all.yaml")
        try Self.withEveryOptionalMount().write(to: file, atomically: true, encoding: .utf8)
        let result = try ExternalTool.run("kubernetes-validate", ["--strict", file.path])
        #expect(result.status == 0, "kubernetes-validate: \(result.stdout)\(result.stderr)")
    }

    static func daemonSetPod(_ documents: [Node]) throws -> Node { try DeployFiles.daemonSetPod(documents) }

    @Test func configMapHoldsAValidConfigAndLeavesPodCIDRsToDiscovery() throws {
        let configMap = try #require(try Self.documents("daemonset.yaml").first { $0["kind"]?.string == "ConfigMap" })
        let text = try #require(configMap["data"]?["config.yaml"]?.string)
        let config = try ConfigFile.parse(text, path: "deploy/daemonset.yaml#ctaudit-config")
        #expect(config.profileName == "hetzner-robot")
        #expect(config.podNetworks == nil, "pod_cidrs in the ConfigMap would turn discovery off on every node")
    }

    @Test(.enabled(if: ExternalTool.has("promtool"), "promtool missing: apt-get install prometheus (make deps does)"))
    func alertRulesAreValid() throws {
        let result = try ExternalTool.run(
            "promtool", ["check", "rules", Self.deploy.appendingPathComponent("ctaudit-alerts.rules.yml").path])
        #expect(result.status == 0, "promtool: \(result.stdout)\(result.stderr)")
    }

    @Test(.enabled(if: ExternalTool.has("promtool"), "promtool missing: apt-get install prometheus (make deps does)"))
    func alertRulesPassTheirUnitTests() throws {
        let result = try ExternalTool.run(
            "promtool", ["test", "rules", Self.deploy.appendingPathComponent("ctaudit-alerts.test.yml").path])
        #expect(result.status == 0, "promtool: \(result.stdout)\(result.stderr)")
    }

    @Test func alertRulesUseMetricsTheWritersExport() throws {
        let rules = try String(contentsOf: Self.deploy.appendingPathComponent("ctaudit-alerts.rules.yml"), encoding: .utf8)
        let watch = WatchMetricsWriter.render(
            WatchCounters(), WatchSummary(),
            context: .init(startTimeSeconds: 1, allowed: AuditPolicy().allowed), target: .http)
        let exported =
            PrometheusWriter.render(ReportsFixtures.report(), timestamp: 1)
            + StatsPrometheusWriter.render(StatsFixtures.report(), timestamp: 1) + watch
            + MetricSchemeTests.watchWithRuleDrift  // counters mode once the rules were re-checked
        // Every ctaudit_ name in an expression, read off the rules file.
        let expressions = rules.split(separator: "\n").filter { $0.contains("expr:") }
        let names = Set(
            expressions.flatMap { line in
                line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).filter { $0.hasPrefix("ctaudit_") }.map(
                    String.init)
            })
        #expect(
            names.isSuperset(of: [
                "ctaudit_audit_violation_unreplied_flows", "ctaudit_audit_up", "ctaudit_stats_nat_pressed_port_spaces",
                "ctaudit_watch_violation_flows_total", "ctaudit_watch_events_lost_total", "ctaudit_watch_up",
            ]))
        for metric in names {
            #expect(exported.contains("# TYPE \(metric) "), "\(metric) is in an alert but no writer exports it")
        }
    }

    /// What `check` and `audit` run to read the NAT rules, in the image.
    @Test func runtimeStageCarriesIptablesAndNftables() throws {
        let script = Self.deploy.deletingLastPathComponent().appendingPathComponent("scripts/image/rootfs.py").path
        let result = try ExternalTool.run("python3", [script, "packages"])
        #expect(result.status == 0, "\(result.stderr)")
        let packages = Set(result.stdout.split(separator: "\n").map(String.init))
        #expect(packages.isSuperset(of: ["iptables", "nftables", "libnetfilter-conntrack3", "libmnl0", "libnfnetlink0", "libcap2-bin"]))
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("Containerfile"), encoding: .utf8)
        #expect(text.contains("USER 65532:65532"))
        #expect(text.contains("update-alternatives --set iptables /usr/sbin/iptables-wrapper"))
        #expect(
            text.contains("setcap cap_net_admin,cap_net_raw,cap_sys_admin,cap_sys_ptrace,cap_bpf,cap_dac_read_search,cap_dac_override=p"))
    }

    @Test func containerfileCopiesPathsThatExist() throws {
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("Containerfile"), encoding: .utf8)
        let root = Self.deploy.deletingLastPathComponent()
        for line in text.split(separator: "\n") where line.hasPrefix("COPY ") && !line.contains("--from") {
            let sources = line.split(separator: " ").dropFirst().dropLast().map(String.init)
            for source in sources where !source.hasSuffix("*") {
                #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(source).path), "\(source) in \(line)")
            }
        }
    }
}
