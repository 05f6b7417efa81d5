public import Conntrack
public import NodeState

/// Names the pod behind a pod address, offline: host-local IPAM state gives
/// the sandbox's container id, the container runtime's state gives the pod's
/// name and network namespace, and the live namespaces (each one's
/// addresses, processes and their cgroups) confirm which namespace holds
/// the address now. Where only the address is known, it says so.
public struct PodAttribution: Sendable {
    public var ipam: HostLocalIPAMState
    public var runtime: ContainerRuntimeState
    public var live: LiveNamespaceIndex
    public private(set) var warnings: [KubernetesWarning] = []

    public init(ipam: HostLocalIPAMState, runtime: ContainerRuntimeState, live: LiveNamespaceIndex) {
        self.ipam = ipam
        self.runtime = runtime
        self.live = live
        warnings = ipam.warnings + live.warnings
    }

    /// Reads the node's IPAM and runtime files under `root` and the live
    /// namespaces, leaving out the node's own (`excluding`: the audited one).
    public static func load(root: NodeRoot, excluding excluded: [NetworkNamespace] = []) -> PodAttribution {
        PodAttribution(
            ipam: HostLocalIPAMState(root: root), runtime: ContainerRuntimeState(root: root),
            live: LiveNamespaceIndex.scan(excluding: excluded))
    }

    /// Identifies each distinct address once.
    public mutating func identify(_ addresses: some Sequence<IPAddress>) -> [IPAddress: PodIdentity] {
        var identities: [IPAddress: PodIdentity] = [:]
        for address in addresses where identities[address] == nil {
            identities[address] = identify(address)
        }
        return identities
    }

    public mutating func identify(_ address: IPAddress) -> PodIdentity {
        var pod = PodIdentity(ip: address)
        var sandbox: ContainerRuntimeState.Sandbox?
        if let allocation = ipam.allocations[address] {
            pod.containerID = allocation.containerID
            pod.ipamNetwork = allocation.network
            pod.evidence.append("host-local \(allocation.file)")
            sandbox = runtime.sandbox(allocation.containerID, warnings: &warnings)
        }
        let candidates = live.holding(address)
        var chosen: LiveNamespace?
        if let path = sandbox?.netnsPath {
            let base = path.split(separator: "/").last.map(String.init) ?? path
            let inode = NodeFiles.inode(path)
            chosen = candidates.first { $0.names.contains(base) || $0.inode == inode }
        }
        if chosen == nil, let id = pod.containerID {
            chosen = candidates.first { $0.containerIDs.contains(id) }
        }
        if chosen == nil, candidates.count == 1 {
            chosen = candidates[0]
        }
        if chosen == nil, candidates.count > 1 {
            // Another address of the same pod (its other family) may be pinned by IPAM.
            let pinned = candidates.filter { pinnedAllocation($0) != nil }
            if pinned.count == 1 {
                chosen = pinned[0]
                if pod.containerID == nil, let allocation = pinnedAllocation(pinned[0]) {
                    pod.containerID = allocation.containerID
                    pod.ipamNetwork = allocation.network
                    pod.evidence.append("host-local \(allocation.file) (the pod's other address)")
                    sandbox = runtime.sandbox(allocation.containerID, warnings: &warnings)
                }
            }
        }
        if let chosen {
            pod.netns = chosen.label
            pod.uid = chosen.podUID
            pod.evidence.append(
                "live netns \(chosen.label) holds \(address)"
                    + (chosen.pids.isEmpty ? "" : " (pid \(chosen.pids[0]))"))
            if pod.containerID == nil, let id = chosen.containerIDs.first {
                pod.containerID = id
                pod.evidence.append("cgroup of pid " + (chosen.pids.first.map(String.init) ?? "?"))
            }
            if sandbox == nil {
                for id in chosen.containerIDs {
                    if let found = runtime.sandbox(id, warnings: &warnings) {
                        sandbox = found
                        break
                    }
                }
            }
        } else if candidates.count > 1 {
            pod.otherNetns = candidates.map(\.label)
            pod.evidence.append("\(candidates.count) live namespaces hold \(address); not pinned to one")
        }
        if let sandbox {
            pod.name = sandbox.name
            pod.namespace = sandbox.namespace
            pod.uid = sandbox.uid ?? pod.uid
            pod.evidence.append("runtime \(sandbox.file)")
            if pod.netns == nil, let path = sandbox.netnsPath {
                pod.netns = path.split(separator: "/").last.map(String.init)
            }
        }
        return pod
    }

    /// The pod in one live namespace, named from `address` when that pins to
    /// this namespace, else from the namespace's own processes.
    public mutating func identify(_ address: IPAddress, in namespace: LiveNamespace) -> PodIdentity {
        let byAddress = identify(address)
        if byAddress.netns == namespace.label { return byAddress }
        var pod = PodIdentity(ip: address)
        pod.netns = namespace.label
        pod.uid = namespace.podUID
        pod.containerID = pinnedAllocation(namespace)?.containerID ?? namespace.containerIDs.first
        pod.evidence.append("live netns \(namespace.label) holds \(address)")
        var ignored: [KubernetesWarning] = []
        for id in [pod.containerID].compactMap({ $0 }) + namespace.containerIDs {
            if let sandbox = runtime.sandbox(id, warnings: &ignored) {
                pod.name = sandbox.name
                pod.namespace = sandbox.namespace
                pod.uid = sandbox.uid ?? pod.uid
                pod.evidence.append("runtime \(sandbox.file)")
                break
            }
        }
        return pod
    }

    /// An IPAM allocation of one of the namespace's addresses whose container
    /// is known to be this namespace (by runtime netns path or cgroup).
    private func pinnedAllocation(_ namespace: LiveNamespace) -> HostLocalIPAMState.Allocation? {
        for address in namespace.addresses.sorted() {
            guard let allocation = ipam.allocations[address] else { continue }
            if namespace.containerIDs.contains(allocation.containerID) { return allocation }
            var ignored: [KubernetesWarning] = []
            if let path = runtime.sandbox(allocation.containerID, warnings: &ignored)?.netnsPath {
                let base = path.split(separator: "/").last.map(String.init) ?? path
                if namespace.names.contains(base) || namespace.inode == NodeFiles.inode(path) { return allocation }
            }
        }
        return nil
    }
}
