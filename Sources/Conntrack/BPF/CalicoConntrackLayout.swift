/// The layouts of Calico's eBPF conntrack map that ctaudit decodes
/// (projectcalico/calico felix/bpf/conntrack/v4 and v5; docs/DATAPLANES.md).
/// The map is pinned as `cali_v4_ct<version>` / `cali_v6_ct<version>`;
/// versions 4 and 5 have the same sizes, so the version in the name decides
/// where the flags are.
///
///     struct calico_ct_key {                 // 16 bytes (IPv6: 40)
///         __u32 protocol;                    // host order
///         __be32 addr_a, addr_b;             // network order
///         __u16 port_a, port_b;              // host order
///     };
///     struct calico_ct_value {               // 88 bytes (IPv6: 128)
///         __u64 rst_seen, last_seen;
///         __u8 type;                         // 16: NORMAL 0, NAT_FWD 1, NAT_REV 2
///         // v4: __u8 flags (17), pad0[5], __u8 flags2 (23): flags = flags | flags2 << 8
///         // v5: pad0[3], __u32 flags (20)
///         struct calico_ct_leg a_to_b;       // 24 (24 bytes: bytes, packets, seqno, flag bits, ifindex)
///         struct calico_ct_leg b_to_a;       // 48
///         tun_ip (72), orig_ip, __u16 orig_port, __u16 orig_sport, orig_sip   // NAT_REV
///     };
public struct CalicoConntrackLayout: Hashable, Sendable {
    public let family: IPAddress.Family
    /// The map version in its pinned name (`cali_v4_ct5` is version 5).
    public let version: Int

    public static let supportedVersions = [4, 5]

    public init?(family: IPAddress.Family, version: Int) {
        guard Self.supportedVersions.contains(version) else { return nil }
        self.family = family
        self.version = version
    }

    /// Reads the family and version from a pinned map name (`cali_v4_ct5`);
    /// nil for names that are not Calico conntrack maps. `version` 0 means the
    /// name is a conntrack map of a version ctaudit does not know.
    public static func parse(pinnedName name: String) -> (family: IPAddress.Family, version: Int)? {
        let family: IPAddress.Family
        if name.hasPrefix("cali_v4_ct") { family = .ipv4 } else if name.hasPrefix("cali_v6_ct") { family = .ipv6 } else { return nil }
        let suffix = name.dropFirst("cali_v4_ct".count)
        if suffix.isEmpty { return (family, 1) }
        guard let version = Int(suffix) else { return nil }  // cali_v4_ct_nats and the like
        return (family, version)
    }

    public var pinnedName: String { "cali_\(family == .ipv4 ? "v4" : "v6")_ct\(version)" }

    public var keySize: Int { family == .ipv4 ? 16 : 40 }
    public var valueSize: Int { family == .ipv4 ? 88 : 128 }

    public func matches(_ facts: BPFMapFacts) -> Bool {
        facts.isHash && facts.keySize == keySize && facts.valueSize == valueSize
    }

    public var expectation: String {
        "\(pinnedName): a hash map with \(keySize)-byte keys and \(valueSize)-byte values"
    }

    var addressSize: Int { family.byteCount }
    var keyAddressA: Int { 4 }
    var keyAddressB: Int { 4 + addressSize }
    var keyPortA: Int { 4 + 2 * addressSize }
    var keyPortB: Int { 6 + 2 * addressSize }
    var legAToB: Int { 24 }
    var legBToA: Int { 48 }
    var originalDestination: Int { 72 + addressSize }
    var originalDestinationPort: Int { 72 + 2 * addressSize }
    var originalSourcePort: Int { 74 + 2 * addressSize }
    var originalSource: Int { 76 + 2 * addressSize }

    static let typeOffset = 16
    static let typeNATReverse: UInt8 = 2
    static let flagHostPSNAT: UInt32 = 1 << 9
    /// Leg flag bits (at leg + 16): bit 5 marks the side that opened the connection.
    static let legOpener: UInt32 = 1 << 5

    func flags(_ value: BPFEntryBytes) throws(DecodeError) -> UInt32 {
        if version == 4 {
            return UInt32(try value.u8(17)) | UInt32(try value.u8(23)) << 8
        }
        return try value.le32(20)
    }
}
