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
    /// Oracle Cloud (OCI) security list (stateful or stateless per rule),
    /// `oci network security-list get` or the API's JSON.
    case ociSecurityList = "oci-security-list"
    /// Oracle Cloud (OCI) network security group rules (stateful or
    /// stateless per rule), `oci network nsg rules list` or the API's JSON.
    case ociNetworkSecurityGroup = "oci-nsg"
    /// OVHcloud Edge Network Firewall (stateless), API JSON rules.
    case ovhEdgeFirewall = "ovh-edge-firewall"
    /// Scaleway instance security group (stateful or not, per group), API JSON.
    case scalewaySecurityGroup = "scaleway-security-group"
    /// Cisco IOS extended access lists (stateless), configuration text.
    case ciscoACL = "cisco-ios-acl"

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
        case .ociSecurityList: "OCI security list"
        case .ociNetworkSecurityGroup: "OCI network security group"
        case .ovhEdgeFirewall: "OVHcloud Edge Network Firewall (stateless)"
        case .scalewaySecurityGroup: "Scaleway security group"
        case .ciscoACL: "Cisco IOS access list (stateless)"
        }
    }

    /// Always stateful (OCI and Scaleway are per rule or per group: the
    /// reader says, in the source's `statefulReason`).
    public var isStateful: Bool { [.hetznerCloud, .awsSecurityGroup, .gcpFirewall].contains(self) }
}
