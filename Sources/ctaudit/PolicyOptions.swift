import ArgumentParser
import ConntrackAudit

/// The audit policy flags shared by every subcommand that classifies flows.
struct PolicyOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Allowed translated source ports, comma-separated ranges (e.g. 1024-2047,32768-65535).",
            valueName: "ranges"),
        transform: { try PortRangeSet(parsing: $0) }
    )
    var allow: PortRangeSet = .defaultAllowed

    @Option(
        name: .customLong("pod-cidr"),
        help: ArgumentHelp(
            "Pod network (IPv4 or IPv6, repeatable). Flows from these are audited; without it, every source-NATed flow is.",
            valueName: "cidr"),
        transform: { try IPNetwork(parsing: $0) }
    )
    var podCIDRs: [IPNetwork] = []

    @Option(
        name: .customLong("exclude-dst"),
        help: ArgumentHelp("Destination network never audited (repeatable).", valueName: "cidr"),
        transform: { try IPNetwork(parsing: $0) }
    )
    var excludedDestinations: [IPNetwork] = []

    var policy: AuditPolicy {
        AuditPolicy(allowed: allow, podNetworks: podCIDRs, excludedDestinations: excludedDestinations)
    }
}
