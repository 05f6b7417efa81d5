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
        var state: String?
        var unreplied: Bool
        var assured: Bool
        var original: [String: String] = [:]
        var reply: [String: String] = [:]
        var mark: UInt32

        static func parse(_ line: Substring) -> CLIEntry {
            let fields = line.split(separator: " ").map(String.init)
            var entry = CLIEntry(family: fields[0], proto: fields[2], unreplied: false, assured: false, mark: 0)
            var srcSeen = 0
            for field in fields[5...] {
                if field == "[UNREPLIED]" { entry.unreplied = true; continue }
                if field == "[ASSURED]" { entry.assured = true; continue }
                guard let eq = field.firstIndex(of: "=") else {
                    if entry.state == nil && srcSeen == 0 { entry.state = field }
                    continue
                }
                let key = String(field[..<eq]), value = String(field[field.index(after: eq)...])
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
                flow.family.description == entry.family && flow.proto.name == entry.proto
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

    @Test("masqueraded pod flows carry IPS_SRC_NAT; remapped means sport != reply dport")
    func sourceNATFlags() throws {
        let flows = try FixtureLoader.flows("lab-dump.hex")
        let podFlows = flows.filter { $0.original.source.description.hasPrefix("10.244.") || $0.original.source.description.hasPrefix("fd00:10:244:") }
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
    }

    @Test("the kernel's status-filtered dump holds exactly the source-NATed entries")
    func kernelFilteredDump() throws {
        let all = try FixtureLoader.flows("lab-dump.hex")
        let filtered = try FixtureLoader.flows("lab-dump-snat.hex")
        #expect(filtered.allSatisfy { $0.isSourceNATed })
        #expect(Set(filtered.compactMap(\.id)) == Set(all.filter(\.isSourceNATed).compactMap(\.id)))
    }
}
