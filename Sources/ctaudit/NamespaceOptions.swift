import ArgumentParser
import Conntrack

/// Which network namespace's conntrack table to read.
struct NamespaceOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read this network namespace: a name from 'ip netns list', a path (/proc/PID/ns/net), or a PID. Default: ctaudit's own.",
            valueName: "name|path|pid")
    )
    var netns: String?

    func resolve() throws -> NetworkNamespace? {
        try netns.map { try NetworkNamespace.resolve($0) }
    }
}
