public import Conntrack
public import NodeState
import Policy

/// One whole `who`: the questions (an endpoint, the lines of a log, the
/// unanswered conversations of a capture), one snapshot of the node's
/// tables for all of them, and the answers. What comes back is finished.
public struct WhoRun: Sendable {
    public var search: WhoSearch
    /// The namespace whose table is read (nil: this process's own).
    public var namespace: NetworkNamespace?
    /// Bounds on the log read (`--from-log`).
    public var lineReader: BoundedLineReader
    /// Conversations tracked from a capture (`--pcap`).
    public var captureCapacity: Int

    public init(
        search: WhoSearch, namespace: NetworkNamespace?, lineReader: BoundedLineReader = BoundedLineReader(),
        captureCapacity: Int = 100_000
    ) {
        self.search = search
        self.namespace = namespace
        self.lineReader = lineReader
        self.captureCapacity = captureCapacity
    }

    /// A line's text in the report is cut to this many characters.
    static let textBound = 300

    public func run(_ query: WhoQuery) throws -> WhoReport {
        let snapshot = try search.snapshot(of: [query.endpoint], namespace: namespace, kernelFilter: query.endpoint, proto: query.proto)
        return report(.endpoint, [WhoAnswer(query: query, flows: snapshot.answer(query))], snapshot)
    }

    /// `--from-log`: every line parsed first (bounded), then one snapshot for
    /// all of them. A packet's node side is not known from the line: the
    /// source is asked first (a packet leaving the node), then the
    /// destination (a reply on its way back, as a drop log shows it).
    /// `proto`, `remote`: narrow every line's question the same way.
    public func runLog(_ path: String, proto: IPProtocol? = nil) throws -> WhoReport {
        var lines: [(number: Int, text: String, parsed: EdgeLogLine)] = []
        var endpoints = Set<Endpoint>()
        let outcome = try lineReader.read(path) { line in
            let parsed = EdgeLogParser.parse(line)
            if case .packet(let packet) = parsed {
                endpoints.insert(packet.source)
                endpoints.insert(packet.destination)
            }
            lines.append((lines.count + 1, String(line.prefix(Self.textBound)), parsed))
        }
        let snapshot = try search.snapshot(of: endpoints, namespace: namespace)
        let answers = lines.map { line -> WhoAnswer in
            switch line.parsed {
            case .unparsed(let reason):
                return WhoAnswer(line: line.number, text: line.text, unparsed: reason)
            case .packet(let packet):
                let narrowed = proto ?? packet.proto
                let outbound = WhoQuery(
                    endpoint: packet.source, remoteAddress: packet.destination.address,
                    remotePort: packet.destination.port, proto: narrowed)
                let inbound = WhoQuery(
                    endpoint: packet.destination, remoteAddress: packet.source.address,
                    remotePort: packet.source.port, proto: narrowed)
                let out = snapshot.answer(outbound)
                if !out.isEmpty {
                    return WhoAnswer(line: line.number, text: line.text, packet: packet, query: outbound, nodeSide: "source", flows: out)
                }
                let back = snapshot.answer(inbound)
                if !back.isEmpty {
                    return WhoAnswer(
                        line: line.number, text: line.text, packet: packet, query: inbound, nodeSide: "destination", flows: back)
                }
                return WhoAnswer(line: line.number, text: line.text, packet: packet, query: outbound)
            }
        }
        return report(
            .log(path: path, lines: outcome.lines, cutLines: outcome.cutLines, stoppedAtLimit: outcome.stoppedAtLimit),
            answers, snapshot)
    }

    /// `--pcap`: the capture's unanswered conversations, each traced to its flow.
    public func runCapture(_ path: String, proto: IPProtocol? = nil) throws -> WhoReport {
        let reader = try CaptureFileReader(path: path)
        var conversations = CaptureConversations(capacity: captureCapacity)
        let walk = try reader.forEachPacket { packet in
            if let proto, packet.proto != proto { return }
            conversations.add(packet)
        }
        let unanswered = conversations.unanswered
        let snapshot = try search.snapshot(of: Set(unanswered.map(\.key.initiator)), namespace: namespace)
        let answers = unanswered.map { conversation in
            let key = conversation.key
            let query = WhoQuery(
                endpoint: key.initiator, remoteAddress: key.responder.address,
                remotePort: key.responder.port, proto: key.proto)
            return WhoAnswer(
                packet: EdgePacket(
                    proto: key.proto, source: key.initiator, destination: key.responder,
                    format: "pcap", flags: key.proto == .tcp ? "S" : nil),
                query: query, nodeSide: "source", unanswered: conversation, flows: snapshot.answer(query))
        }
        return report(
            .capture(
                path: path, frames: walk.frames, packets: walk.packets, conversations: conversations.tracked,
                answered: conversations.answeredCount, untracked: conversations.untracked, truncated: walk.truncated),
            answers, snapshot)
    }

    private func report(_ source: WhoReport.Source, _ answers: [WhoAnswer], _ snapshot: WhoSnapshot) -> WhoReport {
        let now = SystemClock.wallNanoseconds()
        return WhoReport(
            host: SystemClock.hostName(), netns: namespace?.name, generatedAt: SystemClock.rfc3339(now, milliseconds: false),
            source: source, policy: search.policy, answers: answers, snapshot: snapshot,
            podsLookedUp: search.kubernetes?.attributePods == true)
    }
}
