public import Conntrack

/// One network namespace alive on this machine, as /proc and /run/netns show it.
public struct LiveNamespace: Hashable, Sendable {
    /// The nsfs inode: the namespace's identity.
    public var inode: UInt64
    /// Its names under /run/netns (`ip netns`, CNI's `cni-…` files).
    public var names: [String] = []
    /// Processes in it, ascending (a pod's pause process usually comes first).
    public var pids: [Int32] = []
    /// Container ids from those processes' cgroups, in pid order.
    public var containerIDs: [String] = []
    /// The pod UID from a kubepods cgroup path, when there is one.
    public var podUID: String?
    /// Its interface addresses (not loopback).
    public var addresses: Set<IPAddress> = []

    public init(inode: UInt64) {
        self.inode = inode
    }

    /// How a person names it: the /run/netns name, else `/proc/PID/ns/net`.
    public var label: String {
        if let name = names.first { return name }
        if let pid = pids.first { return "/proc/\(pid)/ns/net" }
        return "net:[\(inode)]"
    }

    /// A file that can be opened to enter it.
    public var path: String {
        if let name = names.first { return "/run/netns/\(name)" }
        if let pid = pids.first { return "/proc/\(pid)/ns/net" }
        return ""
    }

    public var namespace: NetworkNamespace { NetworkNamespace(name: label, path: path) }
}
