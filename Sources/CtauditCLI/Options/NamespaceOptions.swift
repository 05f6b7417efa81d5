import ArgumentParser
import Conntrack
import Foundation

/// Which network namespace's conntrack table to read.
struct NamespaceOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read this network namespace: a name from 'ip netns list', a path (/proc/PID/ns/net), or a PID. Default: ctaudit's own.",
            valueName: "name|path|pid")
    )
    var netns: String?

    /// The namespace, checked to exist: a name, PID or path that is not
    /// there is a typing mistake (exit 2), and the names that do exist say
    /// what was meant.
    func resolve() throws -> NetworkNamespace? {
        guard let netns else { return nil }
        let namespace = try NetworkNamespace.resolve(netns)
        guard !FileManager.default.fileExists(atPath: namespace.path) else { return namespace }
        if namespace.path == "/run/netns/\(netns)" {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).sorted()
            let known = names.isEmpty ? "there are none ('ip netns list' is empty)" : "existing: " + names.joined(separator: ", ")
            throw ValidationError("--netns \(netns): no network namespace of that name in /run/netns; \(known)")
        }
        if namespace.path.hasPrefix("/proc/"), !netns.contains("/") {
            throw ValidationError("--netns \(netns): no process with that id")
        }
        throw ValidationError("--netns \(netns): no such file")
    }
}
