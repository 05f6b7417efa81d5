import ArgumentParser
import Conntrack
import ConntrackAudit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where the node's files are, for `watch`: pod networks are found there
/// when none are given. `watch` reports flows as events carry them and never
/// names pods (that needs a namespace scan per event), so it has no
/// `--no-pods` to offer; the flag is still accepted, hidden, so scripts that
/// passed it keep working.
struct WatchNodeOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the node's files (CNI config, flannel/Calico files) under this directory instead of / to find the pod networks.",
            valueName: "dir"),
        completion: .directory
    )
    var root: String = "/"

    @Flag(name: .customLong("no-pods"), help: ArgumentHelp("Accepted for compatibility; watch never names pods.", visibility: .hidden))
    var noPods = false

    func validate() throws {
        var info = stat()
        guard stat(root, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("--root \(root): not a directory")
        }
    }

    func awareness(namespace: NetworkNamespace?) -> KubernetesAwareness {
        KubernetesAwareness(root: NodeRoot(root), namespace: namespace, attributePods: false)
    }
}
