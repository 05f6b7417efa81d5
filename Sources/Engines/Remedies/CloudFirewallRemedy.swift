import Conntrack
import Policy

/// The rule to write for OCI, OVHcloud, Scaleway and Cisco IOS, in each
/// one's own syntax (`FirewallRemedy.command`): what admits `proto`
/// replies to the ports masquerade uses. Names the file does not hold
/// (OCIDs, group ids, the firewalled IP) are upper-case placeholders.
enum CloudFirewallRemedy {
    static func command(format: FirewallFormat, proto: String, family: IPAddress.Family, ports: PortRange, list: String?) -> [String] {
        let any = family == .ipv4 ? "0.0.0.0/0" : "::/0"
        let number = proto == "tcp" ? "6" : proto == "udp" ? "17" : proto
        let options = proto == "udp" ? "udpOptions" : "tcpOptions"
        let ociRule =
            "\"protocol\": \"\(number)\", \"source\": \"\(any)\", \"sourceType\": \"CIDR_BLOCK\", \"isStateless\": true, "
            + "\"\(options)\": {\"destinationPortRange\": {\"min\": \(ports.low), \"max\": \(ports.high)}}"
        switch format {
        case .ociSecurityList:
            return [
                "oci network security-list update --security-list-id SECURITY_LIST_OCID --ingress-security-rules file://ingress.json   "
                    + "# ingress.json: the list's ingress rules (oci network security-list get --security-list-id SECURITY_LIST_OCID --query 'data.\"ingress-security-rules\"') "
                    + "plus {\(ociRule)}; update replaces the whole list. Or make the \(proto) rule stateful (\"isStateless\": false): replies then come back on any port"
            ]
        case .ociNetworkSecurityGroup:
            return [
                "oci network nsg rules add --nsg-id NSG_OCID --security-rules '[{\"direction\": \"INGRESS\", \(ociRule)}]'   "
                    + "# or make the \(proto) rule stateful (\"isStateless\": false): replies then come back on any port"
            ]
        case .ovhEdgeFirewall:
            if proto == "tcp" {
                return [
                    "POST /ip/{ip}/firewall/{ipOnFirewall}/rule {\"sequence\": SEQUENCE, \"action\": \"permit\", \"protocol\": \"tcp\", \"tcpOption\": {\"option\": \"established\"}}   "
                        + "# a sequence before the rule that denies: TCP replies (ACK set) on any port, \(ports.low)-\(ports.high) included"
                ]
            }
            return [
                "POST /ip/{ip}/firewall/{ipOnFirewall}/rule {\"sequence\": SEQUENCE, \"action\": \"permit\", \"protocol\": \"\(proto)\", \"sourcePort\": SERVER_PORT}   "
                    + "# one per service the pods reach (53 for DNS), at a sequence before the rule that denies: an Edge Network Firewall rule names one port, not the range \(ports.low)-\(ports.high)"
            ]
        case .scalewaySecurityGroup:
            return [
                "scw instance security-group create-rule security-group-id=SECURITY_GROUP_ID direction=inbound action=accept protocol=\(proto.uppercased()) "
                    + "ip-range=\(any) dest-port-from=\(ports.low) dest-port-to=\(ports.high) position=1   "
                    + "# or make the group stateful: scw instance security-group update SECURITY_GROUP_ID stateful=true"
            ]
        case .ciscoACL:
            let name = list ?? "ACL_NAME"
            let header = family == .ipv4 ? "ip access-list extended \(name)" : "ipv6 access-list \(name)"
            let sequence = family == .ipv4 ? " 5 " : " sequence 5 "
            if proto == "tcp" {
                return [
                    header,
                    "\(sequence)permit tcp any any established   # TCP replies (ACK or RST) on any port; or: permit tcp any any range \(ports.low) \(ports.high)",
                ]
            }
            return [
                header,
                "\(sequence)permit \(proto) any any range \(ports.low) \(ports.high)   # before the entry that denies (sequence numbers: show access-lists \(name))",
            ]
        default:
            return []
        }
    }
}
