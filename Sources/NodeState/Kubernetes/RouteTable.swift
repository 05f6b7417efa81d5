import Conntrack
import Policy

/// The kernel's routing tables as /proc prints them, and which routes point
/// at pod interfaces — the last way to find pod networks when no CNI,
/// flannel or Calico file says. Only routes to networks count: host routes
/// (/32, /128), local and anycast routes name one address, not a pod network.
enum RouteTable {
    struct Route: Hashable {
        var network: IPNetwork
        var device: String
    }

    /// Devices CNIs route pods through: bridges (cni0 from the bridge plugin
    /// and flannel, cbr0 from kubenet and k3s, kube-bridge from kube-router),
    /// overlays (flannel.1, flannel-v6.1, flannel-wg, vxlan.calico, cilium_host,
    /// weave) and per-pod links (cali*, veth*, lxc*).
    static func isPodDevice(_ device: String) -> Bool {
        let exact: Set = [
            "cni0", "cbr0", "kube-bridge", "flannel.1", "flannel-v6.1", "flannel-wg", "flannel-wg-v6",
            "vxlan.calico", "vxlan-v6.calico", "cilium_host", "weave",
        ]
        return exact.contains(device) || device.hasPrefix("cali") || device.hasPrefix("veth") || device.hasPrefix("lxc")
    }

    /// `/proc/net/route`: `Iface Destination Gateway Flags ... Mask ...`, with
    /// addresses as hex in the producing host's byte order (little-endian on
    /// x86-64 and arm64, the only ones Kubernetes nodes run on in practice).
    static func ipv4Routes(_ text: String) -> [Route] {
        var routes: [Route] = []
        for line in text.split(whereSeparator: \.isNewline).dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 8, let destination = UInt32(fields[1], radix: 16),
                let mask = UInt32(fields[7], radix: 16), let flags = UInt32(fields[3], radix: 16)
            else { continue }
            // RTF_UP (0x1); RTF_REJECT (0x200) marks unreachable/blackhole routes;
            // RTF_HOST (0x4) a route to one address (Calico's per-pod /32s).
            guard flags & 0x1 != 0, flags & 0x200 == 0, flags & 0x4 == 0 else { continue }
            let prefix = mask.nonzeroBitCount
            guard prefix > 0, prefix < 32 else { continue }
            let network = IPNetwork(unchecked: IPAddress(ipv4: destination.byteSwapped), prefixLength: prefix)
            routes.append(Route(network: network, device: String(fields[0])))
        }
        return routes
    }

    /// `/proc/net/ipv6_route`: `DEST PLEN SRC SPLEN NEXTHOP METRIC REF USE FLAGS IFACE`,
    /// addresses as 32 hex digits in network order.
    static func ipv6Routes(_ text: String) -> [Route] {
        var routes: [Route] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 10, fields[0].count == 32, let prefix = Int(fields[1], radix: 16),
                let high = UInt64(fields[0].prefix(16), radix: 16), let low = UInt64(fields[0].suffix(16), radix: 16),
                let flags = UInt32(fields[8], radix: 16)
            else { continue }
            // RTF_LOCAL (0x80000000) and RTF_ANYCAST (0x100000) are the kernel's
            // routes for the bridge's own address and its subnet-router anycast
            // (fd00::1/128, fd00::/128 beside the /64); any /128 is one host.
            guard flags & 0x1 != 0, flags & 0x200 == 0, flags & 0x8010_0000 == 0, prefix > 0, prefix < 128 else { continue }
            let address = IPAddress(ipv6High: high, low: low)
            // Link-local and multicast routes exist on every interface.
            guard high >> 54 != 0x3fa, high >> 56 != 0xff else { continue }
            routes.append(Route(network: IPNetwork(unchecked: address, prefixLength: prefix), device: String(fields[9])))
        }
        return routes
    }
}
