/// The kinds of firewall definition `--firewall` reads (docs/FIREWALL.md).
public enum FirewallFormat: String, Hashable, Sendable, CaseIterable {
    /// Hetzner Robot dedicated-server firewall (stateless), web service JSON.
    case hetznerRobot = "hetzner-robot"
    /// AWS network ACL (stateless), `aws ec2 describe-network-acls` JSON.
    case awsNetworkACL = "aws-network-acl"
    /// Hetzner Cloud firewall (stateful), API JSON.
    case hetznerCloud = "hetzner-cloud"
    /// AWS security groups (stateful), `aws ec2 describe-security-groups` JSON.
    case awsSecurityGroup = "aws-security-group"
    /// GCP VPC firewall rules (stateful), `gcloud compute firewall-rules list --format=json`.
    case gcpFirewall = "gcp-firewall"
    /// A Linux gateway's `nft -j list ruleset`.
    case nftables = "nft"
    /// A Linux gateway's `iptables-save` / `ip6tables-save`.
    case iptables = "iptables"

    /// How reports name it.
    public var title: String {
        switch self {
        case .hetznerRobot: "Hetzner Robot firewall (stateless)"
        case .awsNetworkACL: "AWS network ACL (stateless)"
        case .hetznerCloud: "Hetzner Cloud firewall (stateful)"
        case .awsSecurityGroup: "AWS security groups (stateful)"
        case .gcpFirewall: "GCP firewall rules (stateful)"
        case .nftables: "Linux gateway, nft ruleset"
        case .iptables: "Linux gateway, iptables-save"
        }
    }

    public var isStateful: Bool { [.hetznerCloud, .awsSecurityGroup, .gcpFirewall].contains(self) }
}
