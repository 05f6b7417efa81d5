import Foundation
import TestSupport
import Testing
import Yams

/// deploy/kubectl/kubectl-ctaudit and its krew manifest. No cluster runs
/// here: a recording `kubectl` on PATH (it logs its arguments, says what
/// `kubectl debug` says, and exits with the code it is told) shows the
/// command line the plugin hands to kubectl, that ctaudit's exit code comes
/// back, and that the debug pod is deleted.
@Suite("Deploy: kubectl plugin")
struct KubectlPluginTests {
    static let directory = DeployFiles.directory.appendingPathComponent("kubectl")
    static let plugin = directory.appendingPathComponent("kubectl-ctaudit").path

    /// Runs the plugin with the recording kubectl; returns (status, stderr, kubectl's calls).
    static func run(_ arguments: [String], debugExit: Int = 1, environment: [String: String] = [:]) throws -> (Int32, String, [String]) {
        let bin = try ReportsFixtures.temporaryDirectory("kubectl")
        defer { try? FileManager.default.removeItem(at: bin) }
        let log = bin.appendingPathComponent("calls").path
        let kubectl = bin.appendingPathComponent("kubectl")
        try """
        #!/bin/sh
        echo "$*" >> '\(log)'
        if [ "$1" = debug ]; then
            node=${2#node/}
            echo "Creating debugging pod node-debugger-$node-x7k2p with container debugger on node $node." >&2
            echo "ctaudit output"
            exit \(debugExit)
        fi
        exit 0
        """.write(to: kubectl, atomically: true, encoding: .utf8)
        #expect(chmod(kubectl.path, 0o755) == 0)
        var env = ["PATH=\(bin.path):/usr/bin:/bin"]
        env += environment.map { "\($0.key)=\($0.value)" }
        let result = try ExternalTool.run("env", ["-i"] + env + ["/bin/sh", plugin] + arguments)
        let calls = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        return (result.status, result.stderr, calls)
    }

    @Test func auditsTheNodeThroughKubectlDebugAndDeletesThePod() throws {
        let (status, stderr, calls) = try Self.run(["--image", "registry.example/ctaudit:1.2", "node-7", "audit", "--format", "json"])
        #expect(status == 1, "ctaudit's exit code comes back: \(stderr)")
        #expect(
            calls.first
                == "debug node/node-7 -i --image=registry.example/ctaudit:1.2 --profile=sysadmin -- ctaudit audit --root /host --format json"
        )
        #expect(calls.last == "delete pod node-debugger-node-7-x7k2p --wait=false")
        #expect(!stderr.contains("Creating debugging pod"))
    }

    @Test func defaultsToAuditAndTheConfiguredImage() throws {
        let (status, _, calls) = try Self.run(["n1"], debugExit: 0, environment: ["CTAUDIT_IMAGE": "mirror.local/ctaudit:0.2.0"])
        #expect(status == 0)
        #expect(calls.first == "debug node/n1 -i --image=mirror.local/ctaudit:0.2.0 --profile=sysadmin -- ctaudit audit --root /host")
    }

    /// check reads rules and /proc, not node files: no --root.
    @Test func checkGetsNoRootAndKeepKeepsThePod() throws {
        let (status, stderr, calls) = try Self.run(["--keep", "-n", "ops", "n2", "check", "--pods"], debugExit: 0)
        #expect(status == 0)
        #expect(
            calls == ["debug node/n2 -i --namespace=ops --image=ghcr.io/example/ctaudit:0.2.0 --profile=sysadmin -- ctaudit check --pods"])
        #expect(stderr.contains("kept the debug pod node-debugger-n2-x7k2p"))
    }

    @Test func usageMistakesExitTwo() throws {
        #expect(try Self.run([]).0 == 2)
        #expect(try Self.run(["--bogus", "n1"]).0 == 2)
        #expect(try Self.run(["--image"]).0 == 2)
        let help = try Self.run(["--help"])
        #expect(help.0 == 0 && help.2.isEmpty)
    }

    @Test func krewManifestInstallsThePluginArchive() throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent("ctaudit.krew.yaml"), encoding: .utf8)
        let manifest = try #require(try compose(yaml: text))
        #expect(manifest["apiVersion"]?.string == "krew.googlecontainertools.github.com/v1alpha2")
        #expect(manifest["kind"]?.string == "Plugin" && manifest["metadata"]?["name"]?.string == "ctaudit")
        let platform = try #require(manifest["spec"]?["platforms"]?.array().first)
        #expect(platform["bin"]?.string == "kubectl-ctaudit")
        #expect(platform["files"]?.array().first?["from"]?.string == "kubectl-ctaudit")
        #expect(platform["uri"]?.string?.hasSuffix("/kubectl-ctaudit.tar.gz") == true)
        #expect(manifest["spec"]?["version"]?.string?.hasPrefix("v") == true)
        // The archive the script builds is the one the sha256 names, and holds the plugin as it is.
        let out = try ReportsFixtures.temporaryDirectory("krew")
        defer { try? FileManager.default.removeItem(at: out) }
        let script = DeployFiles.directory.deletingLastPathComponent().appendingPathComponent("scripts/krew-archive.sh").path
        let built = try ExternalTool.run("/bin/sh", [script, out.path])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(
            platform["sha256"]?.string == built.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
            "the manifest's sha256 is stale: rerun scripts/krew-archive.sh and update deploy/kubectl/ctaudit.krew.yaml")
        let listed = try ExternalTool.run("tar", ["-tvzf", out.appendingPathComponent("kubectl-ctaudit.tar.gz").path])
        #expect(listed.stdout.hasPrefix("-rwxr-xr-x 0/0") && listed.stdout.contains(" kubectl-ctaudit\n"), "\(listed.stdout)")
    }
}
