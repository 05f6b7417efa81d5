import Foundation
import TestSupport
import Testing

@testable import Conntrack

/// What the fuzzer (scripts/fuzz.sh) found stays found: every kept crasher is
/// replayed, and a small deterministic mutation fuzzer runs the captured
/// kernel datagrams through `FlowDecoder.decodeDatagram` on every test run,
/// so CI exercises the decoder on broken bytes even without libFuzzer.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// Every `Fixtures/crashers/*.hex` (one datagram per line).
    static func crashers() throws -> [(name: String, bytes: [UInt8])] {
        let directory = try FixtureLoader.url("crashers")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".hex") }.sorted()
        return try names.flatMap { name in
            try FixtureLoader.datagrams("crashers/\(name)").map { (name, $0) }
        }
    }

    static func decode(_ bytes: [UInt8]) -> DecodedDatagram? {
        bytes.withUnsafeBytes { try? FlowDecoder.decodeDatagram($0) }
    }

    /// What one datagram decodes to, in words a table can hold.
    static func outcome(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { raw in
            do {
                let result = try FlowDecoder.decodeDatagram(raw)
                return "flows \(result.flows.count) malformed \(result.malformed) errors \(result.errors)"
                    + " stats \(result.cpuStatistics.count) done \(result.done)"
            } catch {
                return "throws \(error)"
            }
        }
    }

    /// Each kept crasher's outcome once it was fixed: a new crasher needs its line here.
    static let crasherOutcomes: [String: String] = [
        "nlmsg-error-int32-min-errno.hex": "flows 0 malformed 0 errors [-2147483648] stats 0 done false"
    ]

    @Test("every kept crasher decodes to its known outcome")
    func replayCrashers() throws {
        let crashers = try Self.crashers()
        #expect(!crashers.isEmpty)
        for crasher in crashers {
            #expect(Self.outcome(crasher.bytes) == Self.crasherOutcomes[crasher.name], "\(crasher.name)")
        }
    }

    /// Inputs written down by hand from the decoder's edge cases: the kind of
    /// bytes a fuzzer finds first, each with what the decoder makes of it.
    static let handMade: [(String, String, String)] = [
        ("empty datagram", "", "flows 0 malformed 0 errors [] stats 0 done false"),
        (
            "header only, length 0", "00000000000100000000000000000000",
            "throws truncated netlink message: needs 0 bytes, 16 available"
        ),
        (
            "length 16, conntrack type, no nfgenmsg", "10000000000100000000000000000000",
            "flows 0 malformed 1 errors [] stats 0 done false"
        ),
        (
            "nfgenmsg, one attribute of length 0", "1800000000010000000000000000000002000000" + "00000100",
            "flows 0 malformed 1 errors [] stats 0 done false"
        ),
        (
            "nfgenmsg, attribute length 0xffff", "1800000000010000000000000000000002000000" + "ffff0100",
            "flows 0 malformed 1 errors [] stats 0 done false"
        ),
        (
            "nested tuple claiming more than the message",
            "2000000000010000000000000000000002000000" + "0c000180" + "40000180" + "00000000",
            "flows 0 malformed 1 errors [] stats 0 done false"
        ),
        (
            "message length past the datagram (IPv6 family, IPv4-sized addresses)",
            "3c00000000010000000000000000000002000000"
                + "2800018014000180080003000a000001080004000a000002100002800500010006000000",
            "throws truncated netlink message: needs 60 bytes, 56 available"
        ),
        (
            "NLMSG_ERROR with 2 bytes", "12000000020000000000000000000000ffff0000",
            "throws truncated NLMSG_ERROR: needs 4 bytes, 2 available"
        ),
        (
            "NLMSG_ERROR INT32_MIN errno", "14000000020000000000000000000000" + "00000080",
            "flows 0 malformed 0 errors [-2147483648] stats 0 done false"
        ),
        (
            "stats reply with a u8 counter (no CPU: skipped)", "1c00000004010000000000000000000000000001" + "05000200" + "01000000",
            "flows 0 malformed 0 errors [] stats 0 done false"
        ),
        (
            "length not a multiple of 4 followed by a message",
            "1100000003000000000000000000000000000000" + "10000000030000000000000000000000",
            "flows 0 malformed 0 errors [] stats 0 done true"
        ),
    ]

    @Test("hand-made edge cases decode to their known outcome", arguments: handMade)
    func handMadeCases(name: String, hex: String, expected: String) {
        #expect(Self.outcome(NetlinkBytes.hex(hex)) == expected, "\(name)")
    }

    @Test("NLMSG_ERROR with errno INT32_MIN does not trap on negation")
    func int32MinErrno() throws {
        let bytes = NetlinkBytes.hex("14000000020000000000000000000000" + "00000080")
        let result = try #require(Self.decode(bytes))
        #expect(result.errors.count == 1)
    }

    /// xorshift64*: the same mutations on every machine and run.
    struct Mutator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_f491_4f6c_dd1d
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

        /// One to four libFuzzer-like edits: flip, set interesting values, cut, splice.
        mutating func mutate(_ input: [UInt8], donor: [UInt8]) -> [UInt8] {
            var bytes = input
            for _ in 0...below(4) where !bytes.isEmpty {
                let at = below(bytes.count)
                switch below(6) {
                case 0: bytes[at] ^= UInt8(1 << below(8))
                case 1: bytes[at] = [0, 1, 3, 4, 0x7f, 0x80, 0xfe, 0xff][below(8)]
                case 2:  // an interesting 16-bit length at an attribute-ish offset
                    let value: UInt16 = [0, 3, 4, 5, 8, 0xfff, 0x7fff, 0xffff][below(8)]
                    if at + 1 < bytes.count {
                        bytes[at] = UInt8(value & 0xff)
                        bytes[at + 1] = UInt8(value >> 8)
                    }
                case 3: bytes.removeSubrange(at..<min(bytes.count, at + 1 + below(64)))
                case 4: bytes = Array(bytes[..<at])
                default:
                    guard !donor.isEmpty else { continue }
                    let from = below(donor.count)
                    bytes.insert(contentsOf: donor[from..<min(donor.count, from + 1 + below(128))], at: at)
                }
            }
            return bytes
        }
    }

    @Test("20000 mutations of the captured kernel datagrams decode or throw")
    func deterministicMutations() throws {
        var seeds = try FixtureLoader.datagrams("lab-dump.hex") + FixtureLoader.datagrams("lab-dump-snat.hex")
        seeds += try Self.crashers().map(\.bytes)
        seeds += CapturedEvents.datagrams.map(NetlinkBytes.hex)
        var mutator = Mutator(state: 0x6374_6175_6469_7421)
        var decoded = 0
        var flows = 0
        for _ in 0..<20_000 {
            let seed = seeds[mutator.below(seeds.count)]
            let input = mutator.mutate(seed, donor: seeds[mutator.below(seeds.count)])
            if let result = Self.decode(input) {
                decoded += 1
                flows += result.flows.count
                for flow in result.flows { _ = (flow.original.description, flow.reply.description, flow.isPortRemapped) }
            }
        }
        // Mutations must not all be rejected at the framing: the entry-level
        // paths (skip and count a malformed entry) are what this is for.
        #expect(decoded > 1_000)
        #expect(flows > 1_000)
    }
}
