import ArgumentParser
import Conntrack
import Engines
import NodeState

/// Where the node's files are, and whether to look at its pods (`audit`).
struct KubernetesOptions: NodeOptions {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the node's files (CNI config, flannel/Calico files, IPAM and container runtime state) under this directory instead of / (a copied tree, for offline reviews).",
            valueName: "dir"),
        completion: .directory
    )
    var root: String = "/"

    @Flag(
        name: .customLong("no-pods"),
        help: "Do not name the pods behind violations or read each pod namespace's ip_local_port_range.")
    var noPods = false

    func validate() throws { try Self.validateRoot(root) }

    func awareness(namespace: NetworkNamespace?) -> KubernetesAwareness {
        KubernetesAwareness(root: NodeRoot(root), namespace: namespace, attributePods: !noPods)
    }

    /// One line per warning on stderr; long lists are cut (all are in --format json).
    static func printWarnings(_ warnings: [KubernetesWarning]) {
        for warning in warnings.prefix(10) { Console.error("ctaudit: warning: \(warning)\n") }
        if warnings.count > 10 { Console.error("ctaudit: warning: … and \(warnings.count - 10) more (see --format json)\n") }
    }
}
