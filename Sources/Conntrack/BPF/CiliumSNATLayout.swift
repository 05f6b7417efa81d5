/// The layout of Cilium's BPF masquerading table, `cilium_snat_v4_external` /
/// `cilium_snat_v6_external` (cilium/cilium bpf/lib/nat.h and bpf/lib/common.h;
/// the same in every version checked, see docs/DATAPLANES.md):
///
///     struct ipv4_ct_tuple {            // __packed, 14 bytes
///         __be32 daddr, saddr;          // packet order in the NAT table
///         __be16 dport, sport;
///         __u8 nexthdr, flags;          // flags: TUPLE_F_OUT 0, TUPLE_F_IN 1
///     };
///     struct ipv4_nat_entry {           // 40 bytes
///         struct nat_entry common;      // created, needs_ct/host_local, pad1, pad2 (4 x u64)
///         __be32 to_saddr; __be16 to_sport;   // (union with to_daddr/to_dport)
///     };
///
/// IPv6: `union v6addr` (16 bytes, packed) for the addresses; key 38 bytes,
/// value 32 + 18 bytes padded to 56.
public struct CiliumSNATLayout: Hashable, Sendable {
    public let family: IPAddress.Family
    public var keySize: Int { family == .ipv4 ? 14 : 38 }
    public var valueSize: Int { family == .ipv4 ? 40 : 56 }

    /// The pinned map's name under the bpffs (tc/globals/...).
    public var pinnedName: String { family == .ipv4 ? "cilium_snat_v4_external" : "cilium_snat_v6_external" }

    public static let ipv4 = CiliumSNATLayout(family: .ipv4)
    public static let ipv6 = CiliumSNATLayout(family: .ipv6)

    /// Whether a map's kernel-reported type and sizes are exactly this layout.
    public func matches(_ facts: BPFMapFacts) -> Bool {
        facts.isHash && facts.keySize == keySize && facts.valueSize == valueSize
    }

    public var expectation: String { "a hash map with \(keySize)-byte keys and \(valueSize)-byte values" }

    // Offsets within the key: daddr, saddr, dport, sport, nexthdr, flags.
    var addressSize: Int { family.byteCount }
    var keyDestination: Int { 0 }
    var keySource: Int { addressSize }
    var keyDestinationPort: Int { 2 * addressSize }
    var keySourcePort: Int { 2 * addressSize + 2 }
    var keyNextHeader: Int { 2 * addressSize + 4 }
    var keyFlags: Int { 2 * addressSize + 5 }
    // Offsets within the value: after the 32-byte `struct nat_entry`.
    var valueAddress: Int { 32 }
    var valuePort: Int { 32 + addressSize }
}
