import Foundation
import TestSupport
import Testing
import Yams

/// deploy/helm/ctaudit, linted and rendered by Helm's own Go code
/// (helm-python-sdk's libhelm_c, through scripts/helm-sdk.py: the helm CLI
/// cannot be built or downloaded here), the rendered objects validated
/// offline, and the plain manifests checked to be the chart's rendering.
@Suite("Deploy: Helm chart", .enabled(if: HelmSDK.available, "helm-python-sdk missing: pip install helm-python-sdk (make test-deps does)"))
struct DeployChartTests {
    static let repo = DeployFiles.directory.deletingLastPathComponent()
    static let chart = DeployFiles.directory.appendingPathComponent("helm/ctaudit").path
    static let script = repo.appendingPathComponent("scripts/helm-sdk.py").path

    /// Value sets that cover every branch of the templates.
    static let valueSets: [[String]] = [
        [],
        ["daemonset.mode=textfile"],
        ["daemonset.mode=textfile", "daemonset.textfile.namePods=false"],
        [
            "cronjob.enabled=true", "serviceMonitor.enabled=true", "podMonitor.enabled=true", "prometheusRule.enabled=true",
            "grafanaDashboard.enabled=true", "nodePaths.k3s=true", "nodePaths.microk8s=true", "nodePaths.microk8sFlannel=true",
            "nodePaths.crio=true", "nodePaths.calicoEtc=true", "daemonset.receiveBuffer=16MiB", "image.tag=0.2.0",
        ],
        ["daemonset.mode=textfile", "cronjob.enabled=true", "nodePaths.k3s=true", "nodePaths.microk8s=true", "nodePaths.crio=true"],
    ]

    static func sets(_ values: [String]) -> [String] { values.flatMap { ["--set", $0] } }

    static func render(_ values: [String], namespace: String = "ctaudit") throws -> [Node] {
        let result = try ExternalTool.run("python3", [script, "template", "ctaudit", chart, "--namespace", namespace] + sets(values))
        #expect(result.status == 0, "helm template \(values): \(result.stderr)")
        return try Yams.compose_all(yaml: result.stdout).compactMap { $0 }
    }

    /// A node as text without YAML's presentation (quoting, tags, marks): equal data, equal text.
    static func canonical(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "\"" + scalar.string + "\""
        case .sequence(let sequence): return "[" + sequence.map(canonical).joined(separator: ",") + "]"
        case .mapping(let mapping):
            return "{" + mapping.map { canonical($0.key) + ":" + canonical($0.value) }.sorted().joined(separator: ",") + "}"
        case .alias: return "*"
        }
    }

    static func object(_ documents: [Node], _ kind: String) -> Node? {
        documents.first { $0["kind"]?.string == kind }
    }

    @Test(arguments: valueSets)
    func chartLintsStrictly(_ values: [String]) throws {
        let result = try ExternalTool.run("python3", [Self.script, "lint", Self.chart, "--strict"] + Self.sets(values))
        #expect(result.status == 0, "helm lint --strict \(values): \(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("1 chart(s) linted, no failures"))
    }

    /// The lint is Helm's: a broken template and a value the schema refuses both fail it.
    @Test func lintRejectsABrokenChartAndABadValue() throws {
        let directory = try ReportsFixtures.temporaryDirectory("chart")
        defer { try? FileManager.default.removeItem(at: directory) }
        // -L: the chart's files/ are links to deploy/; the copy takes their contents.
        #expect(try ExternalTool.run("cp", ["-rL", Self.chart, directory.path]).status == 0)
        let copy = directory.appendingPathComponent("ctaudit")
        let template = copy.appendingPathComponent("templates/daemonset.yaml")
        let text = try String(contentsOf: template, encoding: .utf8)
        try text.replacingOccurrences(of: "{{- end }}\n", with: "", options: [], range: text.range(of: "{{- end }}\n", options: .backwards))
            .write(to: template, atomically: true, encoding: .utf8)
        let broken = try ExternalTool.run("python3", [Self.script, "lint", copy.path, "--strict"])
        #expect(broken.status == 1, "\(broken.stdout)")
        let badValue = try ExternalTool.run("python3", [Self.script, "lint", Self.chart, "--strict", "--set", "daemonset.mode=both"])
        #expect(badValue.status == 1 && badValue.stdout.contains("daemonset/mode"), "\(badValue.stdout)")
    }

    /// Every core object Helm renders passes the Kubernetes schemas; the
    /// prometheus-operator objects (CRDs: no schema offline) are checked below.
    @Test(.enabled(if: ExternalTool.has("kubernetes-validate"), "kubernetes-validate missing"), arguments: valueSets)
    func renderedObjectsPassKubernetesSchemas(_ values: [String]) throws {
        let directory = try ReportsFixtures.temporaryDirectory("chart")
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try ExternalTool.run("python3", [Self.script, "template", "ctaudit", Self.chart, "-n", "ctaudit"] + Self.sets(values))
        let file = directory.appendingPathComponent("rendered.yaml")
        try result.stdout.write(to: file, atomically: true, encoding: .utf8)
        let validated = try ExternalTool.run("kubernetes-validate", ["--strict", file.path])
        let operatorKinds = ["ServiceMonitor", "PodMonitor", "PrometheusRule"]
        let failures = validated.stdout.split(separator: "\n").filter { line in
            !line.hasPrefix("INFO") && !operatorKinds.contains { line.contains("schema for kind \($0) ") }
        }
        #expect(failures.isEmpty, "\(failures)")
        let documents = try Yams.compose_all(yaml: result.stdout).compactMap { $0 }
        let core = documents.filter { !operatorKinds.contains($0["kind"]?.string ?? "") }
        #expect(validated.stdout.components(separatedBy: "passed for resource").count - 1 == core.count)
    }

    @Test func plainManifestsAreTheChartsRendering() throws {
        let result = try ExternalTool.run("python3", [Self.repo.appendingPathComponent("scripts/helm-plain-manifests.py").path, "--check"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test func daemonSetRunsOnEveryNodeInTheHostNetwork() throws {
        for values in Self.valueSets where !values.contains("daemonset.enabled=false") {
            let pod = try DeployFiles.daemonSetPod(Self.render(values))
            #expect(pod["hostNetwork"]?.bool == true)
            #expect(pod["tolerations"]?.array().map { $0["operator"]?.string } == ["Exists"])
            #expect(pod["tolerations"]?.array().first?["key"] == nil && pod["tolerations"]?.array().first?["effect"] == nil)
            let container = try #require(pod["containers"]?.array().first)
            let security = try #require(container["securityContext"])
            #expect(security["runAsNonRoot"]?.bool == true && security["runAsUser"]?.int == 65532)
            #expect(security["readOnlyRootFilesystem"]?.bool == true)
            #expect(security["capabilities"]?["drop"]?.array().compactMap(\.string) == ["ALL"])
        }
    }

    /// Only the capabilities each mode needs: watch reads events and files,
    /// the textfile loop also runs the rule tools, writes the textfile and
    /// (naming pods) reads other namespaces.
    @Test(arguments: [
        ([String](), ["NET_ADMIN", "DAC_READ_SEARCH"], false),
        (["daemonset.mode=textfile"], ["NET_ADMIN", "NET_RAW", "DAC_OVERRIDE", "SYS_ADMIN", "SYS_PTRACE"], true),
        (["daemonset.mode=textfile", "daemonset.textfile.namePods=false"], ["NET_ADMIN", "NET_RAW", "DAC_OVERRIDE", "BPF"], false),
    ])
    func capabilitiesPerMode(_ values: [String], _ capabilities: [String], _ hostPID: Bool) throws {
        let pod = try DeployFiles.daemonSetPod(Self.render(values))
        let container = try #require(pod["containers"]?.array().first)
        #expect(container["securityContext"]?["capabilities"]?["add"]?.array().compactMap(\.string) == capabilities)
        #expect((pod["hostPID"]?.bool ?? false) == hostPID)
        #expect((container["securityContext"]?["appArmorProfile"]?["type"]?.string == "Unconfined") == hostPID)
        let args = (container["args"]?.array().compactMap(\.string) ?? []).joined(separator: " ")
        #expect(args.contains("--no-pods") == values.contains("daemonset.textfile.namePods=false"))
    }

    /// Resources are docs/BENCHMARKS.md's figures: watch's request covers a
    /// 100 000-entry table (30 MiB), its limit the 1M-entry one (95 MiB).
    @Test func resourcesComeFromTheBenchmarks() throws {
        let container = try #require(DeployFiles.daemonSetPod(Self.render([]))["containers"]?.array().first)
        #expect(container["resources"]?["requests"]?["memory"]?.string == "48Mi")
        #expect(container["resources"]?["limits"]?["memory"]?.string == "256Mi")
        #expect(container["resources"]?["limits"]?["cpu"] == nil, "a CPU limit throttles the initial dump of a big table")
        let benchmarks = try String(contentsOf: Self.repo.appendingPathComponent("docs/BENCHMARKS.md"), encoding: .utf8)
        #expect(benchmarks.contains("| 100 000 | 0.34 | **20** | 0.38 | 30 MiB |"))
        #expect(benchmarks.contains("| 1 000 000 | 1.05 | **63** | 1.72 | 95 MiB |"))
    }

    @Test func prometheusRuleIsTheTestedRulesFile() throws {
        let rule = try #require(
            Self.object(try Self.render(["prometheusRule.enabled=true", "prometheusRule.labels.release=prom"]), "PrometheusRule"))
        #expect(rule["apiVersion"]?.string == "monitoring.coreos.com/v1")
        #expect(rule["metadata"]?["labels"]?["release"]?.string == "prom")
        let text = try String(contentsOf: DeployFiles.directory.appendingPathComponent("ctaudit-alerts.rules.yml"), encoding: .utf8)
        let file = try compose(yaml: text)
        #expect(rule["spec"]?["groups"].map(Self.canonical) == file?["groups"].map(Self.canonical))
        // And promtool accepts the rendered groups as a rules file.
        if ExternalTool.has("promtool") {
            let directory = try ReportsFixtures.temporaryDirectory("chart")
            defer { try? FileManager.default.removeItem(at: directory) }
            let rules = directory.appendingPathComponent("rendered.rules.yml")
            let groups = try #require(rule["spec"]?["groups"])
            try serialize(node: Node.mapping(Node.Mapping([(Node("groups"), groups)])))
                .write(to: rules, atomically: true, encoding: .utf8)
            let check = try ExternalTool.run("promtool", ["check", "rules", rules.path])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        }
    }

    @Test func monitorsSelectTheDaemonSetsPods() throws {
        let documents = try Self.render(["serviceMonitor.enabled=true", "podMonitor.enabled=true"], namespace: "mon")
        let pod = try #require(Self.object(documents, "DaemonSet")?["spec"]?["template"])
        let podLabels = try #require(pod["metadata"]?["labels"])
        func selected(_ selector: Node?) -> Bool {
            guard let labels = selector?["matchLabels"]?.mapping, !labels.isEmpty else { return false }
            return labels.allSatisfy { podLabels[$0.key] == $0.value }
        }
        let service = try #require(Self.object(documents, "Service"))
        #expect(selected(Node.mapping(["matchLabels": try #require(service["spec"]?["selector"])])))
        #expect(service["spec"]?["clusterIP"]?.string == "None")
        let serviceMonitor = try #require(Self.object(documents, "ServiceMonitor"))
        let monitorLabels = serviceMonitor["spec"]?["selector"]?["matchLabels"]?.mapping ?? [:]
        #expect(!monitorLabels.isEmpty && monitorLabels.allSatisfy { service["metadata"]?["labels"]?[$0.key] == $0.value })
        #expect(serviceMonitor["spec"]?["endpoints"]?.array().first?["port"]?.string == "metrics")
        #expect(service["spec"]?["ports"]?.array().first?["name"]?.string == "metrics")
        let podMonitor = try #require(Self.object(documents, "PodMonitor"))
        #expect(selected(podMonitor["spec"]?["selector"]))
        #expect(podMonitor["spec"]?["podMetricsEndpoints"]?.array().first?["port"]?.string == "metrics")
        #expect(podMonitor["spec"]?["namespaceSelector"]?["matchNames"]?.array().compactMap(\.string) == ["mon"])
        let ports = pod["spec"]?["containers"]?.array().first?["ports"]?.array() ?? []
        #expect(ports.contains { $0["name"]?.string == "metrics" })
        // Nothing of the kind without watch's port.
        let textfile = try Self.render(["daemonset.mode=textfile", "serviceMonitor.enabled=true", "podMonitor.enabled=true"])
        #expect(Self.object(textfile, "ServiceMonitor") == nil && Self.object(textfile, "PodMonitor") == nil)
    }

    @Test func dashboardConfigMapCarriesTheDashboardForTheSidecar() throws {
        let documents = try Self.render(["grafanaDashboard.enabled=true", "grafanaDashboard.namespace=grafana"])
        let configMap = try #require(
            documents.first { $0["kind"]?.string == "ConfigMap" && $0["metadata"]?["name"]?.string == "ctaudit-dashboard" })
        #expect(configMap["metadata"]?["labels"]?["grafana_dashboard"]?.string == "1")
        #expect(configMap["metadata"]?["namespace"]?.string == "grafana")
        let json = try String(contentsOf: DeployFiles.grafanaDashboard, encoding: .utf8)
        #expect(configMap["data"]?["ctaudit.json"]?.string == json)
    }

    /// Every value in values.yaml is in docs/DEPLOY.md's values table.
    @Test func everyValueIsDocumented() throws {
        let text = try String(contentsOfFile: Self.chart + "/values.yaml", encoding: .utf8)
        let values = try #require(try compose(yaml: text))
        func leaves(_ node: Node, _ path: String) -> [String] {
            guard let mapping = node.mapping, !mapping.isEmpty,
                !["config", "resources", "textfileResources", "updateStrategy", "labels"].contains(
                    path.split(separator: ".").last.map(String.init) ?? "")
            else { return [path] }
            return mapping.flatMap { leaves($0.value, path.isEmpty ? $0.key.string! : path + "." + $0.key.string!) }
        }
        let keys = leaves(values, "")
        #expect(keys.count > 40)
        let doc = try String(contentsOf: Self.repo.appendingPathComponent("docs/DEPLOY.md"), encoding: .utf8)
        for key in keys {
            #expect(doc.contains("| `\(key)` |"), "\(key) is not in docs/DEPLOY.md's values table")
        }
    }
}

/// Whether helm-python-sdk (Helm's Go code as a C library) can be imported.
enum HelmSDK {
    static let available: Bool = {
        guard ExternalTool.has("python3") else { return false }
        return (try? ExternalTool.run("python3", ["-c", "import helm_python"]).status) == 0
    }()
}
