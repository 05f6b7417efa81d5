import Engines
import Foundation
import NodeState
import Policy
import Reports

/// The node trees under Fixtures/nodes: real-looking files from kubeadm +
/// flannel, k3s, MicroK8s (Calico), Calico IPPool manifests with CRI-O, a
/// node with only routes, and broken files.
package enum KubernetesFixtures {
    package static let nodes = TestFixtures.url("nodes")

    package static func root(_ name: String) -> NodeRoot { NodeRoot(nodes.appendingPathComponent(name).path) }

    package static func networks(_ texts: String...) -> [IPNetwork] { texts.map { try! IPNetwork(parsing: $0) } }

    package static let kubeadmSandbox = "3f4e1d2c0b9a8f7e6d5c4b3a29181716f5e4d3c2b1a0f9e8d7c6b5a493827160"
    package static let k3sSandbox = "8c1b2a3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcdef"
    package static let microk8sSandbox = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2"
    package static let crioSandbox = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
}
