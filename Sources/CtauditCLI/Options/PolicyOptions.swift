import ArgumentParser

import Conntrack
import Policy

/// The audit policy flags shared by every subcommand that classifies flows.
struct PolicyOptions: ParsableArguments {
    @Option(
        name: .customLong("allow"),
        help: ArgumentHelp(
            "Allowed translated source ports, comma-separated ranges (e.g. 1024-2047,32768-65535); repeatable, the ranges add up. Default: 32768-65535, or the config file's.",
            valueName: "ranges"),
        transform: { try PortRangeSet(parsing: $0) }
    )
    var allowFlags: [PortRangeSet] = []

    /// Every --allow given, as one set (nil when none was).
    var allowFlag: PortRangeSet? {
        allowFlags.isEmpty ? nil : allowFlags.dropFirst().reduce(allowFlags[0]) { $0.union($1) }
    }

    @Option(
        name: .customLong("firewall"),
        help: ArgumentHelp(
            "The upstream firewall's own definition, judged rule by rule (repeatable: every firewall in the path must admit a reply): Hetzner Robot firewall JSON, AWS network ACL or security groups, Hetzner Cloud or GCP firewall JSON, or a gateway's 'nft -j list ruleset' / 'iptables-save' (docs/FIREWALL.md). Each reply is asked per protocol, family and node address; a flow a rule ctaudit cannot judge decides is 'uncertain' (exit 4 when nothing fails). Not with --allow.",
            valueName: "file"),
        completion: .file()
    )
    var firewallFiles: [String] = []

    func validate() throws {
        if !firewallFiles.isEmpty && allowFlag != nil {
            throw ValidationError("--firewall and --allow both say what the firewall admits; use one")
        }
    }

    @Option(
        name: .customLong("pod-cidr"),
        help: ArgumentHelp(
            "Pod network with its prefix length (IPv4 or IPv6, e.g. 10.42.0.0/16; repeatable). Flows from these are audited. Without it, the pod networks are found on the node (CNI config, flannel, Calico, routes; docs/KUBERNETES.md), and if none are, every source-NATed flow is.",
            valueName: "cidr"),
        transform: { try IPNetwork(parsingCIDR: $0) }
    )
    var podCIDRs: [IPNetwork] = []

    @Option(
        name: .customLong("exclude-dst"),
        help: ArgumentHelp("Destination network never audited (repeatable).", valueName: "cidr"),
        transform: { try IPNetwork(parsingCIDR: $0) }
    )
    var excludedDestinations: [IPNetwork] = []

    @Option(
        name: .customLong("service-cidr"),
        help: ArgumentHelp("Service (cluster IP) network, repeatable: a flow whose peer is there never leaves the node (node_local, never a violation).", valueName: "cidr"),
        transform: { try IPNetwork(parsingCIDR: $0) }
    )
    var serviceCIDRs: [IPNetwork] = []
}
