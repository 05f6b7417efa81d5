public import Conntrack
import FoundationEssentials
import Glibc
import Policy

/// Finds every network namespace on the machine it can see: the names under
/// /run/netns and the namespaces of running processes (/proc/PID/ns/net),
/// each once (by device and inode of its nsfs file).
public enum NamespaceEnumerator {
    public struct Found: Hashable, Sendable {
        public var namespace: NetworkNamespace
        /// Whether it is the namespace the rules were read from.
        public var isNode: Bool
    }

    /// `node` is the namespace whose rules are checked (nil: ctaudit's own).
    public static func all(node: NetworkNamespace?) -> [Found] {
        let nodePath = node?.path ?? "/proc/self/ns/net"
        let nodeKey = identity(nodePath)
        var seen = Set<[UInt64]>()
        var found: [Found] = []
        func add(_ namespace: NetworkNamespace) {
            guard let key = identity(namespace.path), seen.insert(key).inserted else { return }
            found.append(Found(namespace: namespace, isNode: key == nodeKey))
        }
        if let nodeKey {
            seen.insert(nodeKey)
            found.append(Found(namespace: node ?? NetworkNamespace(name: "node (own)", path: nodePath), isNode: true))
        }
        // With --netns, ctaudit's own namespace (usually the host's) is one
        // of the others: name it as such, not after the first process in it.
        if node != nil { add(NetworkNamespace(name: "ctaudit's own (host)", path: "/proc/self/ns/net")) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        for name in names.sorted() {
            add(NetworkNamespace(name: name, path: "/run/netns/\(name)"))
        }
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [])
            .compactMap(Int.init).sorted()
        for pid in pids {
            let command = NodeFiles.read("/proc/\(pid)/comm")?.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? "?"
            add(NetworkNamespace(name: "pid \(pid) (\(command))", path: "/proc/\(pid)/ns/net"))
        }
        return found
    }

    /// Device and inode of the nsfs file a path leads to.
    static func identity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// Reads every namespace's `ip_local_port_range` and addresses, and
    /// groups namespaces by range. The addresses tell which NAT rules a
    /// namespace's traffic can reach (`PortSource.reaching`). Namespaces that
    /// vanish or cannot be entered are counted in `skipped`.
    public static func portSources(_ namespaces: [Found]) -> (sources: [PortSource], skipped: Int) {
        var byRange: [PortRange: [String]] = [:]
        var addresses: [PortRange: [String: Set<IPAddress>]] = [:]
        var order: [PortRange] = []
        var skipped = 0
        for entry in namespaces {
            guard let (low, high) = try? NamespaceSysctl.localPortRange(in: entry.namespace),
                let range = PortRange(low: low, high: high)
            else {
                skipped += 1
                continue
            }
            if byRange[range] == nil { order.append(range) }
            let user = entry.isNode ? "node \(entry.namespace.name)" : entry.namespace.name
            byRange[range, default: []].append(user)
            addresses[range, default: [:]][user] = NamespaceAddresses.read(entry.namespace)
        }
        let sources = order.map { PortSource(range: $0, origin: .namespace, users: byRange[$0]!, addresses: addresses[$0]) }
        return (sources, skipped)
    }
}
