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

            EXAMPLES
              ctaudit audit --pod-cidr 10.244.0.0/16   # what fails now, and the fix
              ctaudit check --pods                     # before go-live: can it fail?
              ctaudit watch --listen :9814             # count every violation
              ctaudit who 198.51.100.2:2589            # dropped at the edge: whose?
              ctaudit help audit                       # one command's options

            EXIT STATUS
              0  nothing found (clean, clean-in-scope, nothing-to-audit;
                 check: safe)
              1  violations found (violations, pods-blocked, outside-violations;
                 check: at risk, broken)
              2  bad usage or input (bad range, CIDR, option, file)
              3  environment: no permission (needs CAP_NET_ADMIN), conntrack
                 netlink or a namespace unavailable
            """,
        version: "0.2.0",
        subcommands: [
            AuditCommand.self, MergeCommand.self, CheckCommand.self, WatchCommand.self, StatsCommand.self, ProbeCommand.self,
            WhoCommand.self,
        ],
        defaultSubcommand: AuditCommand.self
    )
}
