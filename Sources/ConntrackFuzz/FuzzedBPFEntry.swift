import Conntrack
import Engines
import NodeState
import Policy
import Reports

/// The BPF map decoders under the fuzzer: an input whose length is exactly
/// one map layout's key + value is decoded as that entry (key first), and
/// what decodes goes on through the reports as a flow of that dataplane.
/// Other lengths are left to the netlink decoder.
enum FuzzedBPFEntry {
    static func decode(_ bytes: UnsafeRawBufferPointer) {
        for layout in [CiliumSNATLayout.ipv4, .ipv6] where bytes.count == layout.keySize + layout.valueSize {
            let key = UnsafeRawBufferPointer(rebasing: bytes[0..<layout.keySize])
            let value = UnsafeRawBufferPointer(rebasing: bytes[layout.keySize...])
            if let entry = try? CiliumSNATEntry.decode(key: key, value: value, layout: layout), let flow = entry.flow {
                _ = entry.reverseKey
                FuzzedReport.exercise([flow], dataplane: .cilium)
            }
        }
        for family in [IPAddress.Family.ipv4, .ipv6] {
            for version in CalicoConntrackLayout.supportedVersions {
                guard let layout = CalicoConntrackLayout(family: family, version: version),
                    bytes.count == layout.keySize + layout.valueSize
                else { continue }
                let key = UnsafeRawBufferPointer(rebasing: bytes[0..<layout.keySize])
                let value = UnsafeRawBufferPointer(rebasing: bytes[layout.keySize...])
                if let flow = try? CalicoHostPortNAT.decode(key: key, value: value, layout: layout) {
                    FuzzedReport.exercise([flow], dataplane: .calico)
                }
            }
        }
    }
}
