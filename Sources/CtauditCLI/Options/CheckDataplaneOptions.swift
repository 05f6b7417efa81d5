import ArgumentParser
import Engines
import NodeState
import Policy

/// `check`'s view of the BPF dataplanes: where their maps are pinned and
/// their exported configuration.
struct CheckDataplaneOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Look for Cilium's and Calico's pinned BPF maps under this bpffs directory (default /sys/fs/bpf when live; not read offline unless given).",
            valueName: "dir"),
        completion: .directory)
    var bpffs: String?

    @Option(
        name: .customLong("cilium-config"),
        help: ArgumentHelp(
            "Cilium's exported configuration ('kubectl -n kube-system get configmap cilium-config -o yaml'): node-port-range, enable-bpf-masquerade (repeatable).",
            valueName: "file"))
    var ciliumConfigFiles: [String] = []

    @Option(
        name: .customLong("calico-config"),
        help: ArgumentHelp(
            "Calico's exported FelixConfiguration ('kubectl get felixconfiguration default -o yaml'): bpfEnabled, bpfPSNATPorts (repeatable).",
            valueName: "file"))
    var calicoConfigFiles: [String] = []

    func validate() throws {
        try InputPath.validateDirectory(bpffs, option: "--bpffs")
        try InputPath.validate(ciliumConfigFiles, option: "--cilium-config")
        try InputPath.validate(calicoConfigFiles, option: "--calico-config")
    }

    /// Cilium writes its datapath settings here on the node (hostPath /var/run/cilium).
    static let ciliumNodeConfig = "/var/run/cilium/state/globals/node_config.h"

    /// The BPF dataplane findings; a config file that cannot be read or
    /// parsed is a usage error (exit 2), like every other input file.
    func findings(allowed: PortRangeSet, nodePortRange: PortRange?, live: Bool) -> [DataplaneFinding] {
        var config = DataplaneConfig()
        for file in ciliumConfigFiles + calicoConfigFiles {
            do {
                let bytes = try InputFile.read(file)
                try config.read(yaml: String(decoding: bytes, as: UTF8.self), file: file)
            } catch let error as DataplaneConfig.ParseError {
                EntryPoint.fail(error.description, .usage)
            } catch {
                EntryPoint.fail("\(file): \(error)", .usage)
            }
        }
        if live, let header = try? InputFile.read(Self.ciliumNodeConfig) {
            config.read(nodeConfigHeader: String(decoding: header, as: UTF8.self), file: Self.ciliumNodeConfig)
        }
        let directory = bpffs ?? (live ? "/sys/fs/bpf" : nil)
        return DataplaneCheck(allowed: allowed, bpffs: directory, config: config, nodePortRange: nodePortRange).run()
    }
}
