import Foundation
import Testing
import Yams
@testable import ConntrackAudit

/// deploy/ is validated offline: no cluster runs here, so the manifests go
/// through kubernetes-validate's schemas and the rules through promtool.
@Suite("Reports: deploy manifests")
struct ReportsDeployTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy")
    static let manifests = ["daemonset.yaml", "cronjob.yaml"].map { deploy.appendingPathComponent($0).path }

    static func documents(_ name: String) throws -> [Node] {
        let text = try String(contentsOf: deploy.appendingPathComponent(name), encoding: .utf8)
        return try Yams.compose_all(yaml: text).compactMap { $0 }
    }

    @Test(.enabled(if: ExternalTool.has("kubernetes-validate"), "kubernetes-validate missing: pip install kubernetes-validate (make deps does)"))
    func manifestsPassKubernetesSchemas() throws {
        let result = try ExternalTool.run("kubernetes-validate", ["--strict"] + Self.manifests)
        #expect(result.status == 0, "kubernetes-validate: \(result.stdout)\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "passed for resource").count - 1 == 4)
    }

    @Test(.enabled(if: ExternalTool.has("kubernetes-validate"), "kubernetes-validate missing: pip install kubernetes-validate (make deps does)"))
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

    @Test func daemonSetReadsTheHostTableAndWritesTheTextfile() throws {
        let daemonSet = try #require(try Self.documents("daemonset.yaml").first { $0["kind"]?.string == "DaemonSet" })
        let pod = try #require(daemonSet["spec"]?["template"]?["spec"])
        #expect(pod["hostNetwork"]?.bool == true)
        let container = try #require(pod["containers"]?.array().first)
        #expect(container["securityContext"]?["capabilities"]?["add"]?.array().compactMap(\.string) == ["NET_ADMIN"])
        #expect(container["securityContext"]?["capabilities"]?["drop"]?.array().compactMap(\.string) == ["ALL"])
        let script = container["args"]?.array().first?.string ?? ""
        #expect(script.contains("--textfile /textfile/ctaudit.prom"))
        #expect(script.contains("sleep"))
        let mount = container["volumeMounts"]?.array().first { $0["mountPath"]?.string == "/textfile" }
        let volume = pod["volumes"]?.array().first { $0["name"]?.string == mount?["name"]?.string }
        #expect(volume?["hostPath"]?["path"]?.string == "/var/lib/node_exporter/textfile_collector")
    }

    @Test func configMapHoldsAValidConfig() throws {
        let configMap = try #require(try Self.documents("daemonset.yaml").first { $0["kind"]?.string == "ConfigMap" })
        let text = try #require(configMap["data"]?["config.yaml"]?.string)
        let config = try ConfigFile.parse(text, path: "deploy/daemonset.yaml#ctaudit-config")
        #expect(config.profileName == "hetzner-robot")
    }

    @Test(.enabled(if: ExternalTool.has("promtool"), "promtool missing: apt-get install prometheus (make deps does)"))
    func alertRulesAreValid() throws {
        let result = try ExternalTool.run("promtool", ["check", "rules", Self.deploy.appendingPathComponent("ctaudit-alerts.rules.yml").path])
        #expect(result.status == 0, "promtool: \(result.stdout)\(result.stderr)")
    }

    @Test func alertRulesUseMetricsTheWriterExports() throws {
        let rules = try String(contentsOf: Self.deploy.appendingPathComponent("ctaudit-alerts.rules.yml"), encoding: .utf8)
        let exported = PrometheusWriter.render(ReportsFixtures.report(), timestamp: 1)
        for metric in ["ctaudit_violation_unreplied_flows", "ctaudit_scrape_error", "ctaudit_last_success_timestamp_seconds"] {
            #expect(rules.contains(metric) && exported.contains("# TYPE \(metric) gauge"))
        }
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
