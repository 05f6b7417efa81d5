import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// The probe's search against a fake firewall: exact boundaries within the
/// probe budget, ports in use skipped, an unreachable target recognised.
@Suite("Probe: reply-port search")
struct ReplyPortSearchTests {
    struct FakeFirewall: ReplyProber {
        var admits: (UInt16) -> Bool
        var inUse: Set<UInt16> = []
        var probed: [UInt16] = []

        mutating func probe(localPort: UInt16) throws -> ReplyProbeOutcome {
            if inUse.contains(localPort) { return .portInUse }
            probed.append(localPort)
            return admits(localPort) ? .replied("syn-ack") : .noReply
        }
    }

    static let range = PortRange(low: 1024, high: 65535)!

    @Test("finds a random boundary exactly in at most 64 probes", arguments: 0..<40)
    func boundary(run: Int) throws {
        var seeds = SplitMix64(seed: UInt64(run) &* 7919 &+ 1)
        let boundary = UInt16(1025 + seeds.next() % 64000)
        var search = ReplyPortSearch(range: Self.range, prober: FakeFirewall(admits: { $0 >= boundary }), seed: UInt64(run))
        let result = try search.run(target: "203.0.113.10:8080", proto: "tcp", netns: nil)
        #expect(result.allowed.description == "\(boundary)-65535")
        #expect(result.blocked.description == "1024-\(boundary - 1)")
        #expect(result.unknown.ranges.isEmpty)
        #expect(result.probes <= 64)
        #expect(result.evidence.first?.phase == .control)
        #expect(result.evidence.first?.localPort == UInt16((1024 + 65535) / 2))
        #expect(Set(search.prober.probed).count == search.prober.probed.count, "a port is never probed twice")
    }

    @Test func portsInUseAreSkippedAndNotCounted() throws {
        let middle = UInt16((1024 + 65535) / 2)
        var fake = FakeFirewall(admits: { $0 >= 32768 })
        fake.inUse = [middle, 32767, 32768, 32769]
        var search = ReplyPortSearch(range: Self.range, prober: fake, seed: 3)
        let result = try search.run(target: "t", proto: "tcp", netns: nil)
        #expect(!search.prober.probed.contains(middle))
        #expect(result.skipped.contains(middle))
        #expect(result.probes == search.prober.probed.count)
        // The ports around the boundary are in use: the gap between the nearest probes stays unknown, never guessed.
        #expect(
            result.unknown.description == "32767-32768" || result.unknown.description == "32767-32769" || result.unknown.ranges.count == 1)
        #expect(result.allowed.contains(32770) && result.blocked.contains(32766))
    }

    @Test func wholeRangeCameBack() throws {
        var search = ReplyPortSearch(range: Self.range, prober: FakeFirewall(admits: { _ in true }), seed: 1)
        let result = try search.run(target: "t", proto: "udp", netns: nil)
        #expect(result.allowed.description == "1024-65535")
        #expect(result.blocked.ranges.isEmpty)
        #expect(result.probes == 3 + 3)  // control, two ends, three samples
    }

    @Test func nothingCameBackIsUnreachableNotAVerdict() throws {
        var search = ReplyPortSearch(range: Self.range, prober: FakeFirewall(admits: { _ in false }), seed: 1)
        let result = try search.run(target: "t", proto: "tcp", netns: nil)
        #expect(result.unreachable)
        #expect(result.probes == 3)
    }

    @Test func budgetIsNeverExceededAndTheRestIsUnknown() throws {
        var search = ReplyPortSearch(range: Self.range, maxProbes: 8, prober: FakeFirewall(admits: { $0 >= 40001 }), seed: 1)
        let result = try search.run(target: "t", proto: "tcp", netns: nil)
        #expect(result.probes == 8)
        #expect(!result.unknown.ranges.isEmpty)
        #expect(result.unknown.contains(40000) || result.unknown.contains(40001))
    }

    @Test func aSampleThatDisagreesSplitsTheBand() throws {
        // 1024-2047 and 32768-65535 come back; the low window is found only if a sample lands in it.
        let admits: (UInt16) -> Bool = { $0 >= 32768 || $0 <= 2047 }
        var search = ReplyPortSearch(range: Self.range, samplesPerBand: 3, prober: FakeFirewall(admits: admits), seed: 11)
        let result = try search.run(target: "t", proto: "tcp", netns: nil)
        // The low end is probed (edge), so the window is always found and bisected exactly.
        #expect(result.allowed.description == "1024-2047,32768-65535")
        #expect(result.probes <= 64)
    }
}
