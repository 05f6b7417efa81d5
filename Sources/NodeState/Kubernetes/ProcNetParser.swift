import Conntrack

/// Parsers for the per-namespace /proc files that name a namespace's
/// addresses and a process's container.
enum ProcNetParser {
    /// Local IPv4 addresses from `/proc/PID/net/fib_trie`: each `|-- ADDR`
    /// line followed by `/32 host LOCAL`.
    static func ipv4Addresses(fibTrie text: String) -> Set<IPAddress> {
        var addresses = Set<IPAddress>()
        var candidate: IPAddress?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " || $0 == "|" || $0 == "+" || $0 == "-" }
            if line.contains("|--") {
                candidate = IPAddress(String(trimmed.split(separator: " ").first ?? ""))
            } else if line.contains("/32 host LOCAL"), let address = candidate {
                if address.low >> 24 != 127 { addresses.insert(address) }
                candidate = nil
            }
        }
        return addresses
    }

    /// Addresses from `/proc/PID/net/if_inet6`:
    /// `fd000010024400000000000000000004 02 40 00 80 eth0` (scope 0x20 link, 0x10 host skipped).
    static func ipv6Addresses(ifInet6 text: String) -> Set<IPAddress> {
        var addresses = Set<IPAddress>()
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ")
            guard fields.count >= 6, fields[0].count == 32,
                let high = UInt64(fields[0].prefix(16), radix: 16), let low = UInt64(fields[0].suffix(16), radix: 16),
                let scope = UInt8(fields[3], radix: 16), scope == 0
            else { continue }
            addresses.insert(IPAddress(ipv6High: high, low: low))
        }
        return addresses
    }

    /// The container id in a process's cgroup path, for the layouts of
    /// containerd (`cri-containerd-ID.scope` or `/kubepods/…/podUID/ID`),
    /// CRI-O (`crio-ID.scope`), Docker and Podman.
    static func containerID(cgroup text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            guard let path = line.split(separator: ":", maxSplits: 2).last else { continue }
            for component in path.split(separator: "/").reversed() {
                var name = Substring(component)
                if name.hasSuffix(".scope") { name = name.dropLast(6) }
                for prefix in ["cri-containerd-", "crio-", "docker-", "libpod-"] where name.hasPrefix(prefix) {
                    name = name.dropFirst(prefix.count)
                }
                if name.count == 64, name.allSatisfy(\.isHexDigit) { return String(name) }
            }
        }
        return nil
    }

    /// The pod UID in a kubepods cgroup path: `…-pod1a2b_…_ef.slice`
    /// (systemd driver, dashes as underscores) or `/kubepods/burstable/pod1a2b-…/`.
    static func podUID(cgroup text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) where line.contains("kubepods") {
            guard let path = line.split(separator: ":", maxSplits: 2).last else { continue }
            for component in path.split(separator: "/") {
                var name = Substring(component)
                if name.hasSuffix(".slice") { name = name.dropLast(6) }
                guard let range = name.lastRange(of: "pod") else { continue }
                let uid = name[range.upperBound...].replacingOccurrences(of: "_", with: "-")
                if uid.count == 36, uid.allSatisfy({ $0.isHexDigit || $0 == "-" }) { return uid }
            }
        }
        return nil
    }

    /// `net:[4026532281]` -> 4026532281.
    static func namespaceInode(link: String) -> UInt64? {
        guard link.hasPrefix("net:["), link.hasSuffix("]") else { return nil }
        return UInt64(link.dropFirst(5).dropLast())
    }
}

extension Substring {
    fileprivate func lastRange(of text: String) -> Range<Index>? {
        var index = endIndex
        while index > startIndex {
            index = self.index(before: index)
            if self[index...].hasPrefix(text) { return index..<self.index(index, offsetBy: text.count) }
        }
        return nil
    }

    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
