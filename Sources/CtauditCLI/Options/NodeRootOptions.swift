import ArgumentParser
import Conntrack
import Engines
import NodeState

/// Where the node's files are, for `stats` and `watch`: pod networks are
/// found there when none are given. Neither names pods (`watch` would need a
/// namespace scan per event; `stats` counts port spaces, not pods), so they
/// have no `--no-pods` to offer; the flag is still accepted, hidden, so
/// scripts that passed it keep working.
struct NodeRootOptions: NodeOptions {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the node's files (CNI config, flannel/Calico files) under this directory instead of / to find the pod networks.",
            valueName: "dir"),
        completion: .directory
    )
    var root: String = "/"

    @Flag(
        name: .customLong("no-pods"), help: ArgumentHelp("Accepted for compatibility; this command never names pods.", visibility: .hidden))
    var noPods = false

    func validate() throws { try Self.validateRoot(root) }

    func awareness(namespace: NetworkNamespace?) -> KubernetesAwareness {
        KubernetesAwareness(root: NodeRoot(root), namespace: namespace, attributePods: false)
    }
}
