import ArgumentParser
import Glibc

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

    @Flag(
        name: .customLong("no-bpf"),
        help: "Do not read BPF NAT maps: audit the conntrack table only (the maps are the node's, whatever --netns names).")
    var noBPF = false

    func validate() throws {
        if noBPF && bpffs != nil { throw ValidationError("--no-bpf and --bpffs exclude each other") }
        // A directory given by hand that is not there is a typing mistake;
        // the default one missing just means no BPF dataplane here.
        try InputPath.validateDirectory(bpffs, option: "--bpffs")
    }

    /// CTAUDIT_BPF_BATCH=0 reads BPF maps key by key, as on kernels without
    /// BPF_MAP_LOOKUP_BATCH (the fallback's tests; a diagnostic knob).
    static var batchLookup: Bool {
        guard let value = getenv("CTAUDIT_BPF_BATCH") else { return true }
        return String(cString: value) != "0"
    }

    /// The bpffs directory to search, given the node root (`--root`).
    func directory(root: String) -> String? {
        if noBPF { return nil }
        if let bpffs { return bpffs }
        var prefix = root
        while prefix.hasSuffix("/") { prefix.removeLast() }
        return prefix + "/sys/fs/bpf"
    }
}
