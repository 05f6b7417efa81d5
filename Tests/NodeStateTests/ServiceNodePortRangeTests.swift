import Foundation
import NodeState
import Policy
import Testing

/// Where the NodePort range comes from (issue 26.4): each file kind a
/// node keeps it in, the API server's two notations, and the default.
@Suite("NodeState: the node's service-node-port-range")
struct ServiceNodePortRangeTests {
    /// A node tree of its own under the temporary directory.
    static func node(_ files: [String: String]) throws -> (NodeRoot, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-npr-\(UUID().uuidString)")
        for (path, text) in files {
            let url = directory.appendingPathComponent(String(path.dropFirst()))
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (NodeRoot(directory.path), directory)
    }

    static let kubeadmManifest = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: kube-apiserver
        spec:
          containers:
          - command:
            - kube-apiserver
            - --advertise-address=192.0.2.10
            # - --service-node-port-range=1-2
            - --service-node-port-range=20000-22767
            - --service-cluster-ip-range=10.96.0.0/12
        """

    @Test(arguments: [
        ("/etc/kubernetes/manifests/kube-apiserver.yaml", kubeadmManifest, "20000-22767"),
        (
            "/var/snap/microk8s/current/args/kube-apiserver", "--cert-dir=/x\n--service-node-port-range=31000-31999\n--secure-port=16443\n",
            "31000-31999"
        ),
        ("/etc/rancher/k3s/config.yaml", "write-kubeconfig-mode: \"0644\"\nservice-node-port-range: \"30100-30200\"\n", "30100-30200"),
        ("/etc/rancher/k3s/config.yaml.d/10-ports.yaml", "kube-apiserver-arg:\n  - \"service-node-port-range=25000+999\"\n", "25000-25999"),
        ("/etc/rancher/rke2/config.yaml", "service-node-port-range: 40000-41000\n", "40000-41000"),
    ])
    func eachSourceIsRead(path: String, text: String, expected: String) throws {
        let (root, directory) = try Self.node([path: text])
        defer { try? FileManager.default.removeItem(at: directory) }
        let found = ServiceNodePortRange.discover(root: root)
        #expect(found.range.description == expected)
        #expect(found.file == root.path(path))
        #expect(!found.isDefault)
        #expect(found.warnings.isEmpty)
        #expect(found.description.contains("from \(root.path(path))"))
    }

    @Test func nothingOnTheNodeIsTheDefaultAndSaysSo() throws {
        let (root, directory) = try Self.node(["/etc/rancher/k3s/config.yaml": "node-name: a\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let found = ServiceNodePortRange.discover(root: root)
        #expect(found == .kubernetesDefault)
        #expect(found.isDefault)
        #expect(found.range.description == "30000-32767")
        #expect(found.description.contains("the Kubernetes default"))
    }

    @Test func aBrokenValueIsAWarningAndTheDefaultIsUsed() throws {
        let (root, directory) = try Self.node(["/etc/rancher/k3s/config.yaml": "service-node-port-range: 32767-30000\n"])
        defer { try? FileManager.default.removeItem(at: directory) }
        let found = ServiceNodePortRange.discover(root: root)
        #expect(found.isDefault)
        #expect(found.warnings.count == 1)
        #expect(found.warnings.first?.message.contains("32767-30000") == true)
    }

    @Test func theFirstFileWinsAndADisagreeingOneIsAWarning() throws {
        let (root, directory) = try Self.node([
            "/etc/kubernetes/manifests/kube-apiserver.yaml": Self.kubeadmManifest,
            "/etc/rancher/k3s/config.yaml": "service-node-port-range: 30100-30200\n",
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let found = ServiceNodePortRange.discover(root: root)
        #expect(found.range.description == "20000-22767")
        #expect(found.warnings.count == 1)
    }

    @Test(
        arguments: [
            ("--service-node-port-range=30000-32767", "30000-32767"),
            ("--service-node-port-range 30000-32767", "30000-32767"),
            ("  - '--service-node-port-range=30000-32767'", "30000-32767"),
            ("service-node-port-range: \"30000-32767\"", "30000-32767"),
            ("--service-node-port-range-extra=1-2", nil),
            ("# service-node-port-range: 1-2", nil),
        ] as [(String, String?)])
    func settingSpellings(line: String, expected: String?) {
        #expect(ServiceNodePortRange.setting(in: line) == expected)
    }

    @Test(
        arguments: [
            ("30000-32767", "30000-32767"), ("30000+2767", "30000-32767"), ("31000", "31000"),
            ("65000+1000", nil), ("2-1", nil), ("1:2", nil), ("-5", nil),
        ] as [(String, String?)])
    func valueNotations(value: String, expected: String?) {
        #expect(ServiceNodePortRange.parse(value)?.description == expected)
    }
}
