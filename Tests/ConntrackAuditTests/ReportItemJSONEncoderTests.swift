import Conntrack
import Testing
@testable import ConntrackAudit

/// The byte encoder that streams violations and offenders must write exactly
/// what the `JSONValue` path (the schema's source of truth) writes.
@Suite("Report JSON: streamed items")
struct ReportItemJSONEncoderTests {
    static var violations: [Violation] {
        var named = Violation(flow: FlowFactory.flow(id: 9, pod: "10.244.0.9"), ageSeconds: 42)
        var identity = PodIdentity(ip: IPAddress("10.244.0.9")!)
        identity.name = "web-\"1\"\n"  // escaped, not pasted raw
        identity.namespace = "default"
        identity.containerID = "0f1e2d3c4b5a"
        identity.otherNetns = ["cni-a", "cni-b"]
        identity.evidence = ["ipam /var/lib/cni/networks/cbr0/10.244.0.9"]
        named.pod = identity
        var ambiguous = Violation(flow: FlowFactory.flow(id: 11, pod: "10.244.0.11"))
        var shared = PodIdentity(ip: IPAddress("10.244.0.11")!)
        shared.otherNetns = ["cni-x", "cni-y"]
        ambiguous.pod = shared
        var unknown = Violation(flow: FlowFactory.flow(id: 12, pod: "10.244.0.12"))
        unknown.pod = PodIdentity(ip: IPAddress("10.244.0.12")!)
        return [
            ambiguous,
            unknown,
            Violation(flow: FlowFactory.flow()),
            Violation(flow: FlowFactory.flow(id: nil, proto: .udp, sport: 1500, translatedPort: 1500, state: nil, timeout: nil)),
            Violation(flow: FlowFactory.flow(id: 3, pod: "fd00:10:244::4", server: "2001:db8:2::10", node: "2001:db8:1::2",
                                             translatedPort: 65535, status: [.sourceNAT, .seenReply, .assured])),
            Violation(flow: FlowFactory.flow(id: 4, proto: .icmp)),
            // Every octet width, written digit by digit.
            Violation(flow: FlowFactory.flow(id: 5, pod: "0.9.10.99", server: "100.199.255.0", node: "1.22.254.200")),
            named,
            named,  // the cached pod object is reused
            Violation(flow: FlowFactory.flow(id: 10, pod: "10.244.0.9")),  // same address, no identity: not the cached one
        ]
    }

    static func viaValue(_ value: JSONValue) -> String {
        var text = ""
        value.write(into: &text, indent: 2, level: 2)
        return text
    }

    @Test func violationsMatchTheJSONValuePath() {
        var encoder = ReportItemJSONEncoder()
        for violation in Self.violations {
            var buffer = JSONByteBuffer()
            encoder.append(violation, to: &buffer)
            #expect(String(decoding: buffer.bytes, as: UTF8.self) == Self.viaValue(JSONReportWriter.violation(violation)))
        }
    }

    @Test func offendersMatchTheJSONValuePath() {
        let encoder = ReportItemJSONEncoder()
        var groups = OffenderGroup.group(Self.violations)
        groups.append(OffenderGroup(podSource: IPAddress("10.0.0.1")!, destination: IPAddress("::1")!, destinationPort: 0, proto: .icmp))
        for group in groups {
            var buffer = JSONByteBuffer()
            encoder.append(group, to: &buffer)
            #expect(String(decoding: buffer.bytes, as: UTF8.self) == Self.viaValue(JSONReportWriter.offender(group)))
        }
    }

    @Test("integers, including the extremes", arguments: [0, 7, -7, 10, 65535, 4_294_967_295, Int.max, Int.min])
    func integers(value: Int) {
        var buffer = JSONByteBuffer()
        buffer.append(int: value)
        #expect(String(decoding: buffer.bytes, as: UTF8.self) == String(value))
    }
}
