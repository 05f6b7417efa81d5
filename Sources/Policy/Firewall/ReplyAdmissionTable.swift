public import Conntrack

/// A policy's admissions for every port-carrying protocol in both families,
/// computed once: a report asks the same questions for every pod and line.
public struct ReplyAdmissionTable: Sendable {
    public static let protocols: [IPProtocol] = [.tcp, .udp, .sctp, .dccp, .udplite]

    private var entries: [Key: ReplyAdmission] = [:]

    private struct Key: Hashable {
        var proto: UInt8
        var family: IPAddress.Family
    }

    public init(_ policy: AuditPolicy) {
        for family in [IPAddress.Family.ipv4, .ipv6] {
            for proto in Self.protocols {
                entries[Key(proto: proto.rawValue, family: family)] = policy.admission(proto, family: family)
            }
        }
    }

    public subscript(_ proto: IPProtocol, _ family: IPAddress.Family) -> ReplyAdmission {
        entries[Key(proto: proto.rawValue, family: family)] ?? .uniform(.empty, proto: proto, family: family)
    }

    /// TCP and UDP in both families, in the order summaries list them.
    public var summarized: [ReplyAdmission] {
        FirewallPolicy.summarized.map { self[$0.0, $0.1] }
    }

    /// Whether TCP and UDP in both families admit the same ports for every
    /// peer (always true for `--allow`): one set then says it all.
    public var isUniform: Bool {
        let all = summarized
        guard let first = all.first else { return true }
        return all.allSatisfy { $0.groups == first.groups && $0.byNode.isEmpty }
    }
}
