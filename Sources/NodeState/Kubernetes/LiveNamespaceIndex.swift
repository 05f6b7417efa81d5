public import Conntrack

/// Every network namespace alive on this machine: /run/netns names and each
/// process's /proc/PID/ns/net, grouped by nsfs inode, with their addresses and
/// the container ids of their processes' cgroups. Read-only.
public struct LiveNamespaceIndex: Sendable {
    /// Namespaces other than ctaudit's own and the excluded ones, by inode order.
    public private(set) var namespaces: [LiveNamespace] = []
    public private(set) var warnings: [KubernetesWarning] = []

    public init(namespaces: [LiveNamespace]) {
        self.namespaces = namespaces
    }

    /// Reads /proc and /run/netns. `excluding`: namespaces that are the node
    /// itself (the audited one), whose addresses are not pods'.
    public static func scan(excluding excluded: [NetworkNamespace] = []) -> LiveNamespaceIndex {
        var skip = Set<UInt64>()
        for path in ["/proc/self/ns/net", "/proc/1/ns/net"] + excluded.map(\.path) {
            if let inode = NodeFiles.inode(path) { skip.insert(inode) }
        }
        var byInode: [UInt64: LiveNamespace] = [:]
        for name in NodeFiles.list("/run/netns") {
            guard let inode = NodeFiles.inode("/run/netns/\(name)"), !skip.contains(inode) else { continue }
            byInode[inode, default: LiveNamespace(inode: inode)].names.append(name)
        }
        // Without CAP_SYS_PTRACE (or as another user) most links are refused:
        // counted, so one warning says why pods in them go unnamed.
        var denials = ProcessAccessDenials()
        for entry in NodeFiles.list("/proc") {
            guard let pid = Int32(entry) else { continue }
            let (target, error) = NodeFiles.readLinkOrErrno("/proc/\(pid)/ns/net")
            denials.record(target == nil ? error : nil, pid: pid)
            guard let link = target, let inode = ProcNetParser.namespaceInode(link: link), !skip.contains(inode)
            else { continue }
            byInode[inode, default: LiveNamespace(inode: inode)].pids.append(pid)
        }
        var index = LiveNamespaceIndex(namespaces: [])
        if let warning = denials.warning { index.warnings.append(warning) }
        for inode in byInode.keys.sorted() {
            var namespace = byInode[inode]!
            namespace.pids.sort()
            // A pod has a handful of processes; the first few name its containers.
            for pid in namespace.pids.prefix(16) {
                guard let cgroup = NodeFiles.read("/proc/\(pid)/cgroup") else { continue }
                if let id = ProcNetParser.containerID(cgroup: cgroup), !namespace.containerIDs.contains(id) {
                    namespace.containerIDs.append(id)
                }
                namespace.podUID = namespace.podUID ?? ProcNetParser.podUID(cgroup: cgroup)
            }
            index.readAddresses(of: &namespace)
            index.namespaces.append(namespace)
        }
        return index
    }

    /// Reads the addresses through a process in it when there is one (no
    /// setns needed), else by entering its /run/netns file.
    private mutating func readAddresses(of namespace: inout LiveNamespace) {
        var fibTrie: String?
        var ifInet6: String?
        for pid in namespace.pids.prefix(4) {
            fibTrie = NodeFiles.read("/proc/\(pid)/net/fib_trie")
            ifInet6 = NodeFiles.read("/proc/\(pid)/net/if_inet6")
            if fibTrie != nil { break }
        }
        if fibTrie == nil, !namespace.names.isEmpty {
            do {
                (fibTrie, ifInet6) = try namespace.namespace.withEntered {
                    (NodeFiles.read("/proc/thread-self/net/fib_trie"), NodeFiles.read("/proc/thread-self/net/if_inet6"))
                }
            } catch ConntrackError.namespaceNotFound {
                // Ended since it was listed: nothing left to name.
            } catch {
                warnings.append(KubernetesWarning(subject: "netns \(namespace.label)", message: "\(error); its pods are not named"))
            }
        }
        namespace.addresses = ProcNetParser.ipv4Addresses(fibTrie: fibTrie ?? "")
            .union(ProcNetParser.ipv6Addresses(ifInet6: ifInet6 ?? ""))
    }

    /// The namespaces holding `address`.
    public func holding(_ address: IPAddress) -> [LiveNamespace] {
        namespaces.filter { $0.addresses.contains(address) }
    }
}
