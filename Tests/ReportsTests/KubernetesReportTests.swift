import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("Kubernetes report fields")
struct KubernetesReportTests {

    @Test func jsonNamesThePodAndWhereTheCIDRsCameFrom() {
        let json = JSONReportWriter.render(KubernetesReportFixtures.report())
        #expect(json.contains(#""pod_cidrs_source": "discovered""#))
        #expect(json.contains(#""file": "/run/flannel/subnet.env""#))
        #expect(json.contains(#""name": "web-1""#))
        #expect(json.contains(#""netns": "cni-1234""#))
        #expect(json.contains(#""container_id": "\#(KubernetesFixtures.kubeadmSandbox)""#))
        // Unknown fields are null, not missing.
        let unknown = PodIdentity(ip: IPAddress("10.244.1.9")!)
        let anonymous = JSONWriter.text(.compact) { JSONReportWriter.encode(unknown, lookup: PodLookup(unknown), into: &$0) }
        #expect(
            anonymous
                == #"{"ip":"10.244.1.9","lookup":"ip_only","container_id":null,"netns":null,"name":null,"namespace":null,"uid":null,"ipam_network":null,"other_netns":[],"evidence":[]}"#
        )
        #expect(json.contains(#""ip_local_port_range": {"#))
        #expect(json.contains(#""kept_port_violations": 1"#))
        #expect(json.contains(#""subject": "/etc/cni/net.d/x.conf""#))
    }

    /// `pod.lookup` tells "found nothing" from "did not look" (`--no-pods`),
    /// which used to be the same all-null object; the older keys stay.
    @Test func jsonSaysWhetherThePodWasLookedUpAndWhatWasFound() throws {
        var report = KubernetesReportFixtures.report()
        var ambiguous = Violation(flow: FlowFactory.flow(id: 3, pod: "10.244.1.11", translatedPort: 3000))
        var candidates = PodIdentity(ip: IPAddress("10.244.1.11")!)
        candidates.otherNetns = ["lab-pod1", "lab-pod2"]
        ambiguous.pod = candidates
        report.violations.append(ambiguous)
        let lookups = try Self.lookups(JSONReportWriter.render(report))
        #expect(lookups == ["10.244.1.7": "identified", "10.244.1.9": "ip_only", "10.244.1.11": "ambiguous"])

        // --no-pods: attribution never ran, so no violation has a pod.
        report.violations.attributePods([:])
        let disabled = try Self.lookups(JSONReportWriter.render(report))
        #expect(Set(disabled.values) == ["disabled"] && disabled.count == 3)
        let object = JSONWriter.text(.compact) {
            JSONReportWriter.encode(PodIdentity(ip: IPAddress("10.244.1.9")!), lookup: .disabled, into: &$0)
        }
        #expect(
            object
                == #"{"ip":"10.244.1.9","lookup":"disabled","container_id":null,"netns":null,"name":null,"namespace":null,"uid":null,"ipam_network":null,"other_netns":[],"evidence":[]}"#
        )
        // The same field in NDJSON lines.
        let line = try #require(NDJSONWriter.render(report).split(separator: "\n").first)
        #expect(line.contains(#""lookup":"disabled""#))
    }

    /// `pod.ip` -> `pod.lookup` of every violation in a JSON report.
    static func lookups(_ json: String) throws -> [String: String] {
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        var lookups: [String: String] = [:]
        for violation in document["violations"] as? [[String: Any]] ?? [] {
            let pod = try #require(violation["pod"] as? [String: Any])
            lookups[try #require(pod["ip"] as? String)] = pod["lookup"] as? String
        }
        return lookups
    }

    @Test func textGroupsByPodAndSaysWhereTheCIDRsCameFrom() {
        let text = TextReportWriter().render(KubernetesReportFixtures.report())
        #expect(text.contains("pod networks: discovered: 10.244.0.0/16 from /run/flannel/subnet.env (FLANNEL_NETWORK)"))
        #expect(text.contains("  pod 10.244.1.7 shop/web-1 (netns cni-1234): 1 flow(s), container 3f4e1d2c0b9a"))
        #expect(text.contains("  pod 10.244.1.9 (only the IP is known): 1 flow(s)"))
        #expect(
            text.contains(
                "10.244.1.7 shop/web-1 (netns cni-1234)  ip_local_port_range 1024-2047  blocked 1024-2047 (100%)  1 violation(s) now"))
        // Warnings go to stderr once; only a report written to a file repeats them.
        #expect(!text.contains("warning:"))
        #expect(TextReportWriter(listsWarnings: true).render(KubernetesReportFixtures.report()).contains("warning: "))
    }
}
