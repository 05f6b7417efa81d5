/// What the policy flags do in one command, for its `--help`: audit audits
/// flows from the pod networks, watch watches them, stats lists their port
/// spaces, check judges the rules they reach. The flags are the same; their
/// help says what they mean where they appear.
protocol PolicyWording {
    static var podCIDRHelp: String { get }
    static var firewallHelp: String { get }
    static var allowHelp: String { get }
}

extension PolicyWording {
    static var allowHelp: String {
        "Allowed translated source ports, comma-separated ranges, LOW-HIGH or LOW:HIGH (e.g. 1024-2047,32768:65535); repeatable, the ranges add up. Default: 32768-65535, or the config file's."
    }

    /// Where pod networks come from when none is given (audit, watch, stats).
    static var discovery: String {
        "Without it, the pod networks are found on the node (CNI config, flannel, Calico, routes; docs/KUBERNETES.md)"
    }

    static var firewallFormats: String {
        "Hetzner Robot firewall JSON, AWS network ACL or security groups, Hetzner Cloud or GCP firewall JSON, OCI security list or NSG rules, OVHcloud Edge Network Firewall rules, Scaleway security group JSON, Cisco IOS access lists, or a gateway's 'nft -j list ruleset' / 'iptables-save'; detected from the content, an unknown one is refused (docs/FIREWALL.md). Each reply is asked per protocol, family and node address; a flow decided by a rule ctaudit cannot judge is 'uncertain' (exit 4 when nothing fails). Not with --allow."
    }
}

enum AuditWording: PolicyWording {
    static var podCIDRHelp: String {
        "Pod network with its prefix length (IPv4 or IPv6, e.g. 10.42.0.0/16; repeatable): flows from these are audited. \(discovery), and if none are, every source-NATed flow is."
    }
    static var firewallHelp: String {
        "The upstream firewall's own definition, judged rule by rule (repeatable: every firewall in the path must admit a reply): \(firewallFormats)"
    }
}

enum WatchWording: PolicyWording {
    static var podCIDRHelp: String {
        "Pod network with its prefix length (IPv4 or IPv6, e.g. 10.42.0.0/16; repeatable): flows from these are watched and counted. \(discovery), and if none are, every source-NATed flow is."
    }
    static var firewallHelp: String {
        "The upstream firewall's own definition, judged rule by rule for every flow as it appears (repeatable): \(firewallFormats)"
    }
}

enum StatsWording: PolicyWording {
    static var podCIDRHelp: String {
        "Pod network with its prefix length (IPv4 or IPv6, e.g. 10.42.0.0/16; repeatable): the NAT port spaces their source-NATed flows use are listed (every entry holding a port in such a space counts). \(discovery), and if none are, every source-NATed flow's space is."
    }
    static var firewallHelp: String {
        "The upstream firewall's own definition (repeatable): the ports it admits for every TCP/UDP reply are the allowed range port pressure is measured against. \(firewallFormats)"
    }
    static var allowHelp: String {
        "Allowed translated source ports, LOW-HIGH or LOW:HIGH, comma-separated, repeatable: the range port pressure is measured against. Default: 32768-65535, or the config file's."
    }
}

enum CheckWording: PolicyWording {
    static var podCIDRHelp: String {
        "Pod network with its prefix length (IPv4 or IPv6, e.g. 10.42.0.0/16; repeatable): only NAT rules whose source can be a pod decide the verdict; others are listed as not pod traffic. Without it, every rule counts (check reads no node files)."
    }
    static var firewallHelp: String {
        "The upstream firewall's own definition (repeatable): the rules are judged against the ports it admits for every TCP/UDP reply, and the fix names its rule to widen. \(firewallFormats)"
    }
}

enum WhoWording: PolicyWording {
    static var podCIDRHelp: String {
        "Pod network with its prefix length (IPv4 or IPv6, e.g. 10.42.0.0/16; repeatable): a flow from one is judged as audit judges pod flows. \(discovery)."
    }
    static var firewallHelp: String {
        "The upstream firewall's own definition (repeatable), as in audit: each flow found is judged by it (violates or not). \(firewallFormats)"
    }
}
