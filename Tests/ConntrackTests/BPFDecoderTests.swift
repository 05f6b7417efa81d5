import TestSupport
import Testing

@testable import Conntrack

/// The BPF map decoders on bytes laid out as the upstream structs are
/// (cilium bpf/lib/nat.h + common.h; calico felix/bpf/conntrack v4/v5):
/// exact sizes only, every read bounds-checked, reverse entries not counted.
@Suite("BPF map decoders")
struct BPFDecoderTests {
    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    static func ip(_ text: String) -> [UInt8] { IPAddress(text)!.bytes }

    /// struct ipv4_ct_tuple / ipv6_ct_tuple, packed: daddr, saddr, dport, sport, nexthdr, flags.
    static func ciliumKey(src: String, sport: UInt16, dst: String, dport: UInt16, proto: UInt8 = 6, flags: UInt8 = 0) -> [UInt8] {
        ip(dst) + ip(src) + be16(dport) + be16(sport) + [proto, flags]
    }

    /// struct ipv4_nat_entry / ipv6_nat_entry: 32 bytes of nat_entry, address, port, padding.
    static func ciliumValue(to: String, port: UInt16) -> [UInt8] {
        let body = [UInt8](repeating: 0, count: 32) + ip(to) + be16(port)
        let size = ip(to).count == 4 ? 40 : 56
        return body + [UInt8](repeating: 0, count: size - body.count)
    }

    static func decodeCilium(_ key: [UInt8], _ value: [UInt8], _ layout: CiliumSNATLayout) throws(DecodeError) -> CiliumSNATEntry {
        let result = key.withUnsafeBytes { k in
            value.withUnsafeBytes { v in Result { () throws(DecodeError) in try CiliumSNATEntry.decode(key: k, value: v, layout: layout) } }
        }
        return try result.get()
    }

    @Test("Cilium IPv4 egress entry: pod tuple, translated source, and the key of its reverse entry")
    func ciliumIPv4Egress() throws {
        let key = Self.ciliumKey(src: "10.0.1.5", sport: 40000, dst: "1.1.1.1", dport: 443)
        let entry = try Self.decodeCilium(key, Self.ciliumValue(to: "192.0.2.10", port: 1024), .ipv4)
        #expect(entry.direction == .egress)
        let flow = try #require(entry.flow)
        #expect(flow.original.source == IPAddress("10.0.1.5"))
        #expect(flow.original.sourcePort == 40000)
        #expect(flow.original.destination == IPAddress("1.1.1.1"))
        #expect(flow.original.destinationPort == 443)
        #expect(flow.translatedSource == IPAddress("192.0.2.10"))
        #expect(flow.translatedSourcePort == 1024)
        #expect(flow.isSourceNATed && flow.isPortRemapped && !flow.isUnreplied)
        // snat_v4_swap_tuple + to_saddr/to_sport, flags TUPLE_F_IN.
        #expect(entry.reverseKey == Self.ciliumKey(src: "1.1.1.1", sport: 443, dst: "192.0.2.10", dport: 1024, flags: 1))
    }

    @Test("Cilium reverse entry (TUPLE_F_IN) is not a flow")
    func ciliumReverse() throws {
        let key = Self.ciliumKey(src: "1.1.1.1", sport: 443, dst: "192.0.2.10", dport: 1024, flags: 1)
        let entry = try Self.decodeCilium(key, Self.ciliumValue(to: "10.0.1.5", port: 40000), .ipv4)
        #expect(entry.direction == .reverse)
        #expect(entry.flow == nil)
    }

    @Test("Cilium IPv6 egress entry that kept the pod's port and address is not source-NATed")
    func ciliumIPv6() throws {
        let key = Self.ciliumKey(src: "fd00::5", sport: 50000, dst: "2001:db8::1", dport: 80, proto: 17)
        #expect(key.count == 38)
        let moved = try Self.decodeCilium(key, Self.ciliumValue(to: "2001:db8:ff::1", port: 50000), .ipv6)
        #expect(moved.flow?.translatedSource == IPAddress("2001:db8:ff::1"))
        #expect(moved.flow?.isSourceNATed == true)
        #expect(moved.flow?.isPortRemapped == false)
        let kept = try Self.decodeCilium(key, Self.ciliumValue(to: "fd00::5", port: 50000), .ipv6)
        #expect(kept.flow?.isSourceNATed == false)
    }

    @Test("Cilium entries of the wrong size are refused", arguments: [(13, 40), (14, 39), (15, 40), (14, 48), (38, 56)])
    func ciliumWrongSize(keySize: Int, valueSize: Int) {
        let key = [UInt8](repeating: 1, count: keySize)
        let value = [UInt8](repeating: 1, count: valueSize)
        #expect(throws: DecodeError.self) { try Self.decodeCilium(key, value, .ipv4) }
    }

    @Test("layout checks compare the map's type and both sizes")
    func layoutMatching() {
        #expect(CiliumSNATLayout.ipv4.matches(BPFMapFacts(type: .lruHash, keySize: 14, valueSize: 40, maxEntries: 1)))
        #expect(CiliumSNATLayout.ipv6.matches(BPFMapFacts(type: .hash, keySize: 38, valueSize: 56, maxEntries: 1)))
        #expect(!CiliumSNATLayout.ipv6.matches(BPFMapFacts(type: .lruHash, keySize: 38, valueSize: 48, maxEntries: 1)))
        #expect(!CiliumSNATLayout.ipv4.matches(BPFMapFacts(type: .other(2), keySize: 14, valueSize: 40, maxEntries: 1)))
        let calico = CalicoConntrackLayout(family: .ipv6, version: 5)!
        #expect(calico.matches(BPFMapFacts(type: .lruHash, keySize: 40, valueSize: 128, maxEntries: 1)))
        #expect(CalicoConntrackLayout(family: .ipv4, version: 3) == nil)
    }

    @Test(
        "Calico pinned names",
        arguments: [
            ("cali_v4_ct5", 5, true), ("cali_v6_ct4", 4, false), ("cali_v4_ct3", 3, true), ("cali_v4_ct", 1, true),
        ])
    func calicoNames(name: String, version: Int, ipv4: Bool) throws {
        let parsed = try #require(CalicoConntrackLayout.parse(pinnedName: name))
        #expect(parsed.version == version)
        #expect(parsed.family == (ipv4 ? .ipv4 : .ipv6))
    }

    @Test("names that are not Calico conntrack maps", arguments: ["cali_v4_ct_nats", "cali_v4_arp2", "cilium_ct4_global"])
    func notCalicoConntrack(name: String) {
        #expect(CalicoConntrackLayout.parse(pinnedName: name) == nil)
    }

    /// A calico_ct_key + calico_ct_value (NAT_REV, HOST_PSNAT) for a host
    /// connection host:origPort -> vip:vport, DNATed to backend:bport and
    /// moved to host:newPort.
    static func calicoEntry(
        version: Int, family: IPAddress.Family = .ipv4, type: UInt8 = 2, flags: UInt32 = 1 << 9,
        host: String = "192.0.2.10", origPort: UInt16 = 40001, newPort: UInt16 = 20001,
        vip: String = "10.96.0.10", vport: UInt16 = 443, backend: String = "10.0.2.7", bport: UInt16 = 6443,
        replied: Bool = true
    ) -> (key: [UInt8], value: [UInt8]) {
        let hostIsA = ip(host).lexicographicallyPrecedes(ip(backend))
        let (a, pa, b, pb) = hostIsA ? (host, newPort, backend, bport) : (backend, bport, host, newPort)
        let key = le32(6) + ip(a) + ip(b) + le16(pa) + le16(pb)
        let addressSize = family.byteCount
        var value = [UInt8](repeating: 0, count: family == .ipv4 ? 88 : 128)
        value[16] = type
        if version == 4 {
            value[17] = UInt8(flags & 0xff)
            value[23] = UInt8((flags >> 8) & 0xff)
        } else {
            value.replaceSubrange(20..<24, with: le32(flags))
        }
        // Legs at 24 (A to B) and 48 (B to A): packets at +8, flag bits at +16 (opener = bit 5).
        let openerLeg = hostIsA ? 24 : 48
        let answerLeg = hostIsA ? 48 : 24
        value.replaceSubrange(openerLeg + 8..<openerLeg + 12, with: le32(3))
        value.replaceSubrange(openerLeg + 16..<openerLeg + 20, with: le32(1 << 5 | 3))
        value.replaceSubrange(answerLeg + 8..<answerLeg + 12, with: le32(replied ? 2 : 0))
        let origIP = 72 + addressSize
        value.replaceSubrange(origIP..<origIP + addressSize, with: ip(vip))
        value.replaceSubrange(origIP + addressSize..<origIP + addressSize + 2, with: le16(vport))
        value.replaceSubrange(origIP + addressSize + 2..<origIP + addressSize + 4, with: le16(origPort))
        return (key, value)
    }

    static func decodeCalico(_ entry: (key: [UInt8], value: [UInt8]), _ layout: CalicoConntrackLayout) throws(DecodeError) -> Flow? {
        let result = entry.key.withUnsafeBytes { k in
            entry.value.withUnsafeBytes { v in
                Result { () throws(DecodeError) in try CalicoHostPortNAT.decode(key: k, value: v, layout: layout) }
            }
        }
        return try result.get()
    }

    @Test("Calico host-port NAT reverse entry, both flag layouts", arguments: [4, 5])
    func calicoHostPortNAT(version: Int) throws {
        let layout = try #require(CalicoConntrackLayout(family: .ipv4, version: version))
        let flow = try #require(try Self.decodeCalico(Self.calicoEntry(version: version), layout))
        #expect(flow.original.source == IPAddress("192.0.2.10"))
        #expect(flow.original.sourcePort == 40001)
        #expect(flow.original.destination == IPAddress("10.96.0.10"))
        #expect(flow.original.destinationPort == 443)
        #expect(flow.reply.source == IPAddress("10.0.2.7"))
        #expect(flow.translatedSource == IPAddress("192.0.2.10"))
        #expect(flow.translatedSourcePort == 20001)
        #expect(flow.isSourceNATed && flow.isPortRemapped && !flow.isUnreplied)
        #expect(flow.status.contains(.destinationNAT))
    }

    @Test("Calico: the host on the B side of the key, no reply yet")
    func calicoHostOnB() throws {
        let layout = try #require(CalicoConntrackLayout(family: .ipv4, version: 5))
        let entry = Self.calicoEntry(version: 5, host: "198.51.100.9", backend: "10.0.2.7", replied: false)
        let flow = try #require(try Self.decodeCalico(entry, layout))
        #expect(flow.translatedSource == IPAddress("198.51.100.9"))
        #expect(flow.translatedSourcePort == 20001)
        #expect(flow.reply.source == IPAddress("10.0.2.7"))
        #expect(flow.isUnreplied)
    }

    @Test("Calico IPv6 host-port NAT entry")
    func calicoIPv6() throws {
        let layout = try #require(CalicoConntrackLayout(family: .ipv6, version: 5))
        let entry = Self.calicoEntry(version: 5, family: .ipv6, host: "2001:db8::10", vip: "fd00:96::10", backend: "fd00:2::7")
        #expect(entry.key.count == 40 && entry.value.count == 128)
        let flow = try #require(try Self.decodeCalico(entry, layout))
        #expect(flow.translatedSource == IPAddress("2001:db8::10"))
        #expect(flow.translatedSourcePort == 20001)
        #expect(flow.original.sourcePort == 40001)
    }

    @Test("Calico entries that are not host-port NAT are not flows")
    func calicoOtherEntries() throws {
        let layout = try #require(CalicoConntrackLayout(family: .ipv4, version: 5))
        #expect(try Self.decodeCalico(Self.calicoEntry(version: 5, flags: 0), layout) == nil)
        #expect(try Self.decodeCalico(Self.calicoEntry(version: 5, type: 1), layout) == nil)  // NAT_FWD
        #expect(try Self.decodeCalico(Self.calicoEntry(version: 5, type: 0), layout) == nil)  // NORMAL
        // A v5 entry read with the v4 flag layout does not see the flag.
        let v4 = try #require(CalicoConntrackLayout(family: .ipv4, version: 4))
        #expect(try Self.decodeCalico(Self.calicoEntry(version: 5), v4) == nil)
    }

    @Test("Calico entries of the wrong size are refused")
    func calicoWrongSize() throws {
        let layout = try #require(CalicoConntrackLayout(family: .ipv4, version: 5))
        var entry = Self.calicoEntry(version: 5)
        entry.value.removeLast()
        #expect(throws: DecodeError.self) { try Self.decodeCalico(entry, layout) }
        entry = Self.calicoEntry(version: 5)
        entry.key.append(0)
        #expect(throws: DecodeError.self) { try Self.decodeCalico(entry, layout) }
    }

    @Test("random bytes: a wrong size is refused by name, an exact size decodes as documented (seed printed on failure)")
    func randomBytes() {
        let seed = TestSeed.value(default: 0x0B9F_DEC0_2026_1206)
        var generator = SeededGenerator(seed: seed)
        func noise(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let context = TestSeed.describe(seed)
        let calicoLayouts = [IPAddress.Family.ipv4, .ipv6].flatMap { family in
            [4, 5].map { CalicoConntrackLayout(family: family, version: $0)! }
        }
        // Every length but the exact one: the decoder names what is the wrong size.
        for length in 0..<140 {
            let bytes = noise(length)
            for layout in [CiliumSNATLayout.ipv4, .ipv6] {
                let key = Array(bytes.prefix(layout.keySize))
                guard key.count != layout.keySize || bytes.count != layout.valueSize else { continue }
                let expected =
                    key.count != layout.keySize
                    ? DecodeError.badAttributeLength(what: "cilium nat key", length: key.count)
                    : .badAttributeLength(what: "cilium nat value", length: bytes.count)
                #expect(throws: expected, "\(context), length \(length)") { try Self.decodeCilium(key, bytes, layout) }
            }
            for layout in calicoLayouts {
                let key = Array(bytes.prefix(layout.keySize))
                guard key.count != layout.keySize || bytes.count != layout.valueSize else { continue }
                let expected =
                    key.count != layout.keySize
                    ? DecodeError.badAttributeLength(what: "calico ct key", length: key.count)
                    : .badAttributeLength(what: "calico ct value", length: bytes.count)
                #expect(throws: expected, "\(context), length \(length)") { try Self.decodeCalico((key, bytes), layout) }
            }
        }
        // Exact sizes, random content.
        for _ in 0..<300 {
            for layout in [CiliumSNATLayout.ipv4, .ipv6] {
                let key = noise(layout.keySize)
                let value = noise(layout.valueSize)
                // Any content of the right size is an entry: nothing in it can be out of bounds.
                guard let entry = try? Self.decodeCilium(key, value, layout) else {
                    Issue.record("\(context): an exact-size cilium entry was refused: \(key) \(value)")
                    continue
                }
                if key[layout.keyFlags] & CiliumSNATEntry.tupleIn != 0 {
                    #expect(entry.direction == .reverse && entry.flow == nil && entry.reverseKey == nil, "\(context)")
                } else {
                    #expect(entry.direction == .egress && entry.flow?.family == layout.family, "\(context)")
                    // The reverse key it names is itself a reverse entry.
                    let reverseKey = entry.reverseKey ?? []
                    #expect(reverseKey.count == layout.keySize, "\(context)")
                    if reverseKey.count == layout.keySize {
                        #expect((try? Self.decodeCilium(reverseKey, value, layout))?.direction == .reverse, "\(context)")
                    }
                }
            }
            for layout in calicoLayouts {
                let key = noise(layout.keySize)
                var value = noise(layout.valueSize)
                // Half the entries claim to be NAT reverse entries, so the host-port branch is exercised too.
                if Bool.random(using: &generator) { value[CalicoConntrackLayout.typeOffset] = CalicoConntrackLayout.typeNATReverse }
                let isNATReverse = value[CalicoConntrackLayout.typeOffset] == CalicoConntrackLayout.typeNATReverse
                do {
                    let flow = try Self.decodeCalico((key, value), layout)
                    if let flow { #expect(isNATReverse && flow.family == layout.family, "\(context)") }
                } catch {
                    // Only a NAT reverse entry is read far enough to find a bad field.
                    #expect(isNATReverse, "\(context): \(error)")
                }
            }
        }
    }
}
