import Conntrack

/// The `--firewall` parts of `ctaudit.audit/v1` (docs/JSON.md): present only
/// when a firewall file judged the flows, so `--allow` reports keep their shape.
enum FirewallJSON {
    /// Members added to `policy`: `firewall` with the files, admitted ports and notes.
    static func policyMembers(_ policy: AuditPolicy) -> [(String, JSONValue)] {
        guard let firewall = policy.firewall else { return [] }
        return [("firewall", .object([
            ("stateful", .bool(firewall.isStateful)),
            ("sources", .array(firewall.sources.map(source))),
            ("admitted", .object(admitted(firewall))),
        ]))]
    }

    static func source(_ source: FirewallPolicy.Source) -> JSONValue {
        .object([
            ("path", .string(source.path)),
            ("format", .string(source.format.rawValue)),
            ("rules", .int(source.rules)),
            ("stateful", .bool(source.statefulReason != nil)),
            ("no_port_range_because", source.statefulReason.map(JSONValue.string) ?? .null),
            ("notes", .array(source.notes.map(JSONValue.string))),
        ])
    }

    /// `{"tcp/ipv4": [{"low": 32768, "high": 65535}], "udp/ipv4": [], ...}`
    static func admitted(_ firewall: FirewallPolicy) -> [(String, JSONValue)] {
        var members: [(String, JSONValue)] = []
        for family in [IPAddress.Family.ipv4, .ipv6] {
            for proto in [IPProtocol.tcp, .udp] {
                let ports = firewall.admittedPorts(proto, family: family)
                members.append(("\(proto.name)/\(family)", .array(ports.ranges.map(JSONReportWriter.range))))
            }
        }
        return members
    }

    static func decision(_ decision: FirewallDecision) -> JSONValue {
        .object([
            ("accepts", .bool(decision.accepts)),
            ("decided_by", .string(decision.decidedBy)),
            ("file", decision.origin.map(JSONValue.string) ?? .null),
            ("packet", decision.packet.map(JSONValue.string) ?? .null),
        ])
    }

    static func drop(_ drop: FirewallDrop) -> JSONValue {
        .object([
            ("decided_by", .string(drop.decidedBy)),
            ("file", drop.origin.map(JSONValue.string) ?? .null),
            ("proto", .string(drop.proto.name)),
            ("family", .string(drop.family.description)),
            ("flows", .int(drop.flows)),
            ("unreplied", .int(drop.unreplied)),
            ("lowest_port", .int(Int(drop.lowestPort))),
            ("highest_port", .int(Int(drop.highestPort))),
        ])
    }
}
