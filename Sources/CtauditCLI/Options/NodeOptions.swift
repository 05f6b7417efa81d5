import ArgumentParser
import Conntrack
import Engines
import Glibc

/// What `TargetOptions` needs from the node options of a command: where the
/// node's files are (`--root`) and how to be aware of its pods. `audit`
/// names pods (`KubernetesOptions`); `stats` and `watch` never do
/// (`NodeRootOptions`), so their help differs, not the way the target is
/// resolved.
protocol NodeOptions: ParsableArguments {
    var root: String { get }
    func awareness(namespace: NetworkNamespace?) -> KubernetesAwareness
}

extension NodeOptions {
    /// `--root` must be a directory: a typing mistake is a usage error (exit 2).
    static func validateRoot(_ root: String) throws {
        var info = stat()
        guard stat(root, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("--root \(root): not a directory")
        }
    }
}
