import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports
import TestSupport
import Testing

/// `who`'s text and JSON (docs/WHO.md): what each flow says, per question,
/// and the log and capture inputs.
@Suite struct WhoWriterTests {
    static let policy = AuditPolicy(podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16")])

    static func found(translatedPort: UInt16) -> WhoFlow {
        let flow = FlowFactory.flow(translatedPort: translatedPort)
        var pod = PodIdentity(ip: flow.original.source)
        pod.name = "web-0"
        pod.namespace = "shop"
        pod.netns = "cni-1234"
        pod.containerID = "5e1d7c3b9a8f6e4d2c0b1a2938475665748392a1b0c9d8e7f6a5b4c3d2e1f0a9"
        return WhoFlow(flow: flow, dataplane: .conntrack, ageSeconds: 12, pod: pod, verdict: WhoVerdict(flow, policy: policy))
    }

    static func report(_ source: WhoReport.Source, _ answers: [WhoAnswer]) -> WhoReport {
        WhoReport(
            host: "node-1", netns: "ctlab-node", generatedAt: "2026-12-06T00:00:00Z", source: source, policy: policy,
            answers: answers, snapshot: WhoSnapshot(), podsLookedUp: true)
    }

    @Test func anEndpointsFlowInText() throws {
        let query = WhoQuery(endpoint: try Endpoint(parsing: "198.51.100.2:1500"))
        let text = WhoTextWriter().render(Self.report(.endpoint, [WhoAnswer(query: query, flows: [Self.found(translatedPort: 1500)])]))
        #expect(text.contains("198.51.100.2:1500: 1 flow"))
        #expect(text.contains("pod      10.244.0.3  shop/web-0 (netns cni-1234), container 5e1d7c3b9a8f"))
        #expect(text.contains("original tcp src=10.244.0.3 dst=203.0.113.10 sport=40000 dport=8080"))
        #expect(text.contains("reply    tcp src=203.0.113.10 dst=198.51.100.2 sport=8080 dport=1500"))
        #expect(text.contains("state    SYN_SENT [UNREPLIED], age 12s, expires in 117s, conntrack"))
        #expect(text.contains("verdict  violation: translated port 1500 is not admitted"))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 })
        let none = WhoTextWriter().render(Self.report(.endpoint, [WhoAnswer(query: query)]))
        #expect(none == "198.51.100.2:1500: no flow with this translated source\n")
    }

    @Test func aLogInJSON() throws {
        let packet = EdgePacket(
            proto: .tcp, source: try Endpoint(parsing: "203.0.113.10:8080"),
            destination: try Endpoint(parsing: "198.51.100.2:40000"), format: "log", flags: "ACK SYN")
        let query = WhoQuery(endpoint: packet.destination, remoteAddress: packet.source.address, remotePort: 8080, proto: .tcp)
        let answers = [
            WhoAnswer(line: 1, text: "ARP, Request", unparsed: "no 'SRC > DST' packet"),
            WhoAnswer(
                line: 2, text: "SRC=203.0.113.10 ...", packet: packet, query: query, nodeSide: "destination",
                flows: [Self.found(translatedPort: 40000)]),
        ]
        let report = Self.report(.log(path: "-", lines: 2, cutLines: 0, stoppedAtLimit: false), answers)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(WhoJSONWriter.render(report).utf8)) as? [String: Any])
        #expect(document["schema"] as? String == "ctaudit.who/v1")
        #expect(document["verdict"] as? String == "found")
        #expect((document["input"] as? [String: Any])?["kind"] as? String == "log")
        let summary = try #require(document["summary"] as? [String: Any])
        #expect(summary["questions"] as? Int == 2)
        #expect(summary["answered"] as? Int == 1)
        #expect(summary["unparsed"] as? Int == 1)
        #expect(summary["violating_flows"] as? Int == 0)
        let list = try #require(document["answers"] as? [[String: Any]])
        #expect(list[0]["unparsed"] as? String == "no 'SRC > DST' packet")
        #expect(list[0]["found"] as? Bool == false)
        #expect(list[1]["node_side"] as? String == "destination")
        #expect((list[1]["query"] as? [String: Any])?["endpoint"] as? String == "198.51.100.2:40000")
        let flow = try #require((list[1]["flows"] as? [[String: Any]])?.first)
        #expect(flow["verdict"] as? String == "allowed")
        #expect(flow["violates"] as? Bool == false)
        #expect((flow["pod"] as? [String: Any])?["name"] as? String == "web-0")
        #expect((flow["translated"] as? [String: Any])?["sport"] as? Int == 40000)
        // Every key is explained in docs/WHO.md.
        let doc = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("docs/WHO.md"), encoding: .utf8)
        for key in [
            "line", "text", "unparsed", "packet", "query", "node_side", "found", "flows", "verdict", "violates",
            "questions", "answered", "entries_read", "kernel_filtered", "flows_not_kept", "cut_lines", "stopped_at_limit",
        ] {
            #expect(doc.contains("`\(key)`"), "docs/WHO.md does not explain \(key)")
        }
    }

    @Test func aCaptureSaysWhatWasUnanswered() throws {
        let key = CaptureConversations.Key(
            proto: .udp, initiator: try Endpoint(parsing: "[2001:db8:1::2]:1516"),
            responder: try Endpoint(parsing: "[2001:db8:2::10]:53"))
        var table = CaptureConversations()
        table.add(CapturedPacket(proto: .udp, source: key.initiator, destination: key.responder, timestampMicroseconds: 5))
        let unanswered = try #require(table.unanswered.first)
        let query = WhoQuery(endpoint: key.initiator, remoteAddress: key.responder.address, remotePort: 53, proto: .udp)
        let report = Self.report(
            .capture(
                path: "edge.pcap", frames: 3, packets: 3, conversations: 2, answered: 1, untracked: 4,
                truncated: false),
            [WhoAnswer(query: query, nodeSide: "source", unanswered: unanswered)])
        let text = WhoTextWriter().render(report)
        #expect(text.contains("ctaudit who --pcap edge.pcap: 3 packets, 2 conversations, 1 answered, 1 unanswered"))
        #expect(text.contains("unanswered udp [2001:db8:1::2]:1516 > [2001:db8:2::10]:53 (1 datagram): no flow"))
        #expect(text.contains("capped: 2 conversations tracked; 4 packets of further ones"))
        let document = try #require(try JSONSerialization.jsonObject(with: Data(WhoJSONWriter.render(report).utf8)) as? [String: Any])
        #expect(document["verdict"] as? String == "none")
        #expect((document["input"] as? [String: Any])?["capped"] as? Bool == true)
    }
}
