public import Conntrack

/// The Kubernetes parts of `ctaudit.audit/v1` (docs/JSON.md, docs/KUBERNETES.md).
extension JSONReportWriter {
    /// A violation's pod when attribution ran: every key always present, null where unknown.
    public static func pod(_ pod: PodIdentity) -> JSONValue {
        podObject(pod, lookup: PodLookup(pod))
    }

    /// A violation's pod when attribution did not run: only the address.
    public static func pod(notLookedUp address: IPAddress) -> JSONValue {
        podObject(PodIdentity(ip: address), lookup: .disabled)
    }

    private static func podObject(_ pod: PodIdentity, lookup: PodLookup) -> JSONValue {
        func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            ("ip", .string(pod.ip.description)),
            ("lookup", .string(lookup.rawValue)),
            ("container_id", string(pod.containerID)),
            ("netns", string(pod.netns)),
            ("name", string(pod.name)),
            ("namespace", string(pod.namespace)),
            ("uid", string(pod.uid)),
            ("ipam_network", string(pod.ipamNetwork)),
            ("other_netns", .array(pod.otherNetns.map(JSONValue.string))),
            ("evidence", .array(pod.evidence.map(JSONValue.string))),
        ])
    }

    static func discoveredNetwork(_ found: DiscoveredPodNetwork) -> JSONValue {
        .object([
            ("cidr", .string(found.network.description)),
            ("kind", .string(found.kind.rawValue)),
            ("file", .string(found.file)),
            ("detail", found.detail.map(JSONValue.string) ?? .null),
        ])
    }

    static func kubernetes(_ context: KubernetesContext) -> JSONValue {
        .object([
            ("root", .string(context.root)),
            ("pod_namespaces_scanned", context.podNamespacesScanned.map { .int($0) } ?? .null),
            ("pod_port_ranges", .array(context.portRangeFindings.map { finding in
                .object([
                    ("pod", pod(finding.pod)),
                    ("ip_local_port_range", range(finding.range)),
                    ("outside_allowed", .array(finding.outside.ranges.map(range))),
                    ("kept_port_violations", .int(finding.keptPortViolations)),
                    ("keeping_protocols", finding.keepingProtocols.map { .array($0.map { .string($0.name) }) } ?? .null),
                    ("blocking", .bool(finding.isBlocking)),
                ])
            })),
            ("warnings", .array(context.warnings.map { warning in
                .object([("subject", .string(warning.subject)), ("message", .string(warning.message))])
            })),
        ])
    }
}
