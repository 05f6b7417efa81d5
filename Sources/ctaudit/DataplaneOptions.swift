import ArgumentParser

/// Where the BPF dataplanes' pinned maps are (Cilium, Calico eBPF).
struct DataplaneOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read Cilium's and Calico's BPF NAT maps pinned under this bpffs directory (default /sys/fs/bpf; with --root R, R/sys/fs/bpf).",
            valueName: "dir"),
        completion: .directory
    )
    var bpffs: String?

    /// The bpffs directory to search, given the node root (`--root`).
    func directory(root: String) -> String {
        if let bpffs { return bpffs }
        var prefix = root
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return prefix + "/sys/fs/bpf"
    }
}
