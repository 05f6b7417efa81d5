import Testing

@testable import Conntrack

/// The decoder against bytes captured from a real kernel, checked against
/// conntrack(8)'s own view of the same table at the same moment.
@Suite("Decoder on captured kernel dumps")
struct KernelFixtureTests {
    /// conntrack -L -o extended, one entry per line, as key/value pairs.
    struct CLIEntry {
        var family: String
        var proto: String
        /// The protocol number conntrack(8) prints after the name ("unknown 2" for IGMP).
        var protoNumber: String = ""
        var state: String?
        var unreplied: Bool
        var assured: Bool
        var original: [String: String] = [:]
        var reply: [String: String] = [:]
        var mark: UInt32

        static func parse(_ line: Substring) -> CLIEntry {
            let fields = line.split(separator: " ").map(String.init)
            var entry = CLIEntry(family: fields[0], proto: fields[2], unreplied: false, assured: false, mark: 0)
            entry.protoNumber = fields[3]
            var srcSeen = 0
            for field in fields[5...] {
                if field == "[UNREPLIED]" {
                    entry.unreplied = true
                    continue
                }
                if field == "[ASSURED]" {
                    entry.assured = true
                    continue
                }
                guard let eq = field.firstIndex(of: "=") else {
                    if entry.state == nil && srcSeen == 0 { entry.state = field }
                    continue
                }
                let key = String(field[..<eq])
                let value = String(field[field.index(after: eq)...])
                if key == "src" { srcSeen += 1 }
                if key == "mark" { entry.mark = UInt32(value) ?? 0 }
                if srcSeen == 1, entry.original[key] == nil { entry.original[key] = value }
                if srcSeen == 2, entry.reply[key] == nil { entry.reply[key] = value }
            }
            return entry
        }
    }

    static func matches(_ tuple: Tuple, _ fields: [String: String]) -> Bool {
        guard tuple.source.description == fields["src"], tuple.destination.description == fields["dst"] else { return false }
        if tuple.proto.carriesPorts {
            return String(tuple.sourcePort) == fields["sport"] && String(tuple.destinationPort) == fields["dport"]
        }
        if let icmp = tuple.icmp {
            return String(icmp.id) == fields["id"] && String(icmp.type) == fields["type"]
        }
        return true
    }

    @Test("every entry conntrack(8) shows decodes to the same tuples, state and flags")
    func decodesLikeConntrackCLI() throws {
        let flows = try FixtureLoader.flows("lab-dump.hex")
        let entries = try FixtureLoader.text("lab-conntrack.txt").split(separator: "\n").map(CLIEntry.parse)
        #expect(flows.count == entries.count)
        #expect(flows.contains { $0.family == .ipv6 })
        #expect(flows.contains { $0.proto == .icmp })
        for entry in entries {
            let match = flows.first { flow in
                flow.family.description == entry.family
                    && (flow.proto.name == entry.proto || (entry.proto == "unknown" && String(flow.proto.rawValue) == entry.protoNumber))
                    && Self.matches(flow.original, entry.original)
            }
            guard let flow = match else {
                Issue.record("no decoded flow for \(entry.original)")
                continue
            }
            #expect(Self.matches(flow.reply, entry.reply), "reply tuple of \(entry.original)")
            #expect(flow.isUnreplied == entry.unreplied)
            #expect(flow.isAssured == entry.assured)
            #expect(flow.mark == entry.mark)
            #expect(flow.id != nil)
            #expect(flow.timeout != nil)
            if entry.proto == "tcp" { #expect(flow.protocolState?.name == entry.state) }
        }
    }

    static func inPodNetwork(_ address: IPAddress) -> Bool {
        address.description.hasPrefix("10.244.") || address.description.hasPrefix("fd00:10:244:")
    }

    @Test("masqueraded pod flows carry IPS_SRC_NAT; remapped means sport != reply dport; flows the node does not NAT do not")
    func sourceNATFlags() throws {
        let flows = try FixtureLoader.flows("lab-dump.hex")
        // The node masquerades pod traffic leaving the pod network only (the
        // node's own bridge address .1 is not a pod: its IGMP reports are not NATed).
        let podFlows = flows.filter {
            Self.inPodNetwork($0.original.source) && !Self.inPodNetwork($0.original.destination)
                && !$0.original.source.description.hasSuffix("::1") && $0.original.source.description != "10.244.0.1"
        }
        #expect(!podFlows.isEmpty)
        for flow in podFlows {
            #expect(flow.isSourceNATed)
            // The lab's node masquerades to these addresses.
            #expect(["198.51.100.2", "2001:db8:1::2"].contains(flow.translatedSource.description))
            #expect(flow.isPortRemapped == (flow.proto.carriesPorts && flow.original.sourcePort != flow.reply.destinationPort))
        }
        // pod2 reuses pod1's ports, so some flows must have been remapped.
        #expect(podFlows.contains { $0.isPortRemapped })
        #expect(podFlows.contains { !$0.isPortRemapped && $0.proto.carriesPorts })
        // pod1 -> the node's bridge address (IPv4 and IPv6): went through the
        // nat hook, changed nothing: IPS_SRC_NAT unset.
        let local = flows.filter { Self.inPodNetwork($0.original.source) && Self.inPodNetwork($0.original.destination) && $0.proto == .udp }
        #expect(Set(local.map(\.family)) == [.ipv4, .ipv6])
        #expect(local.allSatisfy { !$0.isSourceNATed })
    }

    @Test("the kernel's status-filtered dump holds exactly the source-NATed entries")
    func kernelFilteredDump() throws {
        let all = try FixtureLoader.flows("lab-dump.hex")
        let filtered = try FixtureLoader.flows("lab-dump-snat.hex")
        #expect(filtered.allSatisfy { $0.isSourceNATed })
        #expect(filtered.count < all.count, "the fixture must hold entries the filter drops")
        #expect(Set(filtered.compactMap(\.id)) == Set(all.filter(\.isSourceNATed).compactMap(\.id)))
    }

    /// Every conntrack message of a captured dump, with its netlink flags.
    static func messages(_ name: String) throws -> [(flags: UInt16, flow: Flow)] {
        var out: [(UInt16, Flow)] = []
        for datagram in try FixtureLoader.datagrams(name) {
            try datagram.withUnsafeBytes { bytes in
                var cursor = NetlinkMessageCursor(bytes)
                while let message = try cursor.next() {
                    guard message.type == 0x100 else { continue }  // IPCTNL_MSG_CT_NEW
                    out.append((message.flags, try FlowDecoder.decode(message.payload)))
                }
            }
        }
        return out
    }

    @Test("a filtered dump is recognised by NLM_F_DUMP_FILTERED; an unfiltered one (a kernel that ignored the filter) is not")
    func filterDetection() throws {
        let filtered = try Self.messages("lab-dump-snat.hex")
        let whole = try Self.messages("lab-dump.hex")
        #expect(!filtered.isEmpty && !whole.isEmpty)
        for (flags, flow) in filtered {
            #expect(DumpReader.kernelApplied(filter: .sourceNAT, messageFlags: flags, status: flow.status))
        }
        // An old kernel answers a filtered request with this: no flag, even
        // on entries that happen to be source-NATed (an all-NAT table).
        for (flags, flow) in whole {
            #expect(!DumpReader.kernelApplied(filter: .sourceNAT, messageFlags: flags, status: flow.status))
        }
    }
}
