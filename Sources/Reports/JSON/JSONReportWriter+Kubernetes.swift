import Conntrack
import Engines
public import NodeState

/// The Kubernetes parts of `ctaudit.audit/v1` (docs/JSON.md, docs/KUBERNETES.md).
extension JSONReportWriter {
    /// A violation's pod: every key always present, null where unknown.
    /// `lookup` says whether attribution ran and what it found.
    public static func encode(_ pod: PodIdentity, lookup: PodLookup, into json: inout JSONWriter) {
        json.beginObject()
        json.member("ip", pod.ip)
        json.member("lookup", lookup.rawValue)
        json.member("container_id", pod.containerID)
        json.member("netns", pod.netns)
        json.member("name", pod.name)
        json.member("namespace", pod.namespace)
        json.member("uid", pod.uid)
        json.member("ipam_network", pod.ipamNetwork)
        json.member("other_netns", pod.otherNetns)
        json.member("evidence", pod.evidence)
        json.endObject()
    }

    static func encode(_ found: DiscoveredPodNetwork, into json: inout JSONWriter) {
        json.beginObject()
        json.member("cidr", found.network.description)
        json.member("kind", found.kind.rawValue)
        json.member("file", found.file)
        json.member("detail", found.detail)
        json.endObject()
    }

    static func encode(_ context: KubernetesContext, into json: inout JSONWriter) {
        json.beginObject()
        json.member("root", context.root)
        json.member("pod_namespaces_scanned", context.podNamespacesScanned)
        json.array("pod_port_ranges", context.portRangeFindings) { json, finding in
            json.beginObject()
            json.key("pod")
            encode(finding.pod, lookup: PodLookup(finding.pod), into: &json)
            json.key("ip_local_port_range")
            encode(finding.range, into: &json)
            json.array("outside_allowed", finding.outside.ranges) { encode($1, into: &$0) }
            json.member("kept_port_violations", finding.keptPortViolations)
            json.key("keeping_protocols")
            if let protocols = finding.keepingProtocols { json.array(protocols) { $0.string($1.name) } } else { json.null() }
            json.member("blocking", finding.isBlocking)
            json.endObject()
        }
        json.array("warnings", context.warnings) { json, warning in
            json.beginObject()
            json.member("subject", warning.subject)
            json.member("message", warning.message)
            json.endObject()
        }
        json.endObject()
    }
}
