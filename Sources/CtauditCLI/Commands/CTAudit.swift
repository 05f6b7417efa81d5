import ArgumentParser

/// The root command: only routes to subcommands.
struct CTAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctaudit",
        abstract: "Find pod connections whose SNAT/masquerade source port an upstream firewall will drop.",
        discussion: """
            Masquerade can give a pod's connection a translated source port below 32768. A firewall \
            that only lets replies in to 32768-65535 (Hetzner's Robot firewall, many security groups) \
            drops them and pods time out intermittently. ctaudit reads the conntrack table over \
            netlink (read-only) and reports every such flow.

            EXIT STATUS
              0  nothing found
              1  violations found
              2  bad usage or input (bad range, CIDR, option)
              3  environment: no permission (needs CAP_NET_ADMIN), conntrack netlink or namespace unavailable
            """,
        version: "0.1.0",
        subcommands: [AuditCommand.self, MergeCommand.self, CheckCommand.self, WatchCommand.self, StatsCommand.self, ProbeCommand.self],
        defaultSubcommand: AuditCommand.self
    )
}
