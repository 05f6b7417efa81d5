import ArgumentParser
import Conntrack
import Policy

/// The audit policy flags shared by every subcommand that classifies flows;
/// `Wording` says in `--help` what they mean in that command.
struct PolicyOptions<Wording: PolicyWording>: ParsableArguments {
    @Option(
        name: .customLong("allow"),
        help: ArgumentHelp(
            Wording.allowHelp,
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
            Wording.firewallHelp,
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
            Wording.podCIDRHelp,
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
        help: ArgumentHelp(
            "Service (cluster IP) network, repeatable: a flow whose peer is there never leaves the node (node_local, never a violation).",
            valueName: "cidr"),
        transform: { try IPNetwork(parsingCIDR: $0) }
    )
    var serviceCIDRs: [IPNetwork] = []
}
