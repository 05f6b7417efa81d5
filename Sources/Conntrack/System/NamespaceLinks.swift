import CConntrackShim
import Glibc

/// Which of some network namespaces a namespace's links reach: a pod's
/// namespace is joined to its node's by a veth pair, and the node's end of
/// it names the pod's namespace by an id (IFLA_LINK_NETNSID) that the node's
/// namespace gave it (RTM_GETNSID). Read-only rtnetlink requests.
///
/// This tells one pod from another when several live namespaces hold the
/// same address (namespaces of several labs or test nodes on one machine):
/// only one of them hangs off the node whose table holds the flow.
public enum NamespaceLinks {
    /// The paths among `candidates` that a link of `node` (nil: this
    /// process's own namespace) reaches; nil when the node's links could not
    /// be read.
    public static func reached(from node: NetworkNamespace?, candidates: [String]) -> Set<String>? {
        var descriptors: [(path: String, fd: Int32)] = []
        defer { for entry in descriptors { close(entry.fd) } }
        for path in candidates where !path.isEmpty {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { descriptors.append((path, fd)) }
        }
        let ask = { () throws(ConntrackError) -> Set<String> in
            var ids = [Int32](repeating: 0, count: 4096)
            let count = ctaudit_link_peer_nsids(&ids, Int32(ids.count))
            guard count >= 0 else { throw ConntrackError.system(operation: "listing links", .init(rawValue: errno)) }
            let peers = Set(ids.prefix(Int(count)).filter { $0 >= 0 })
            var reached = Set<String>()
            for entry in descriptors {
                var nsid: Int32 = -1
                if ctaudit_nsid_of(entry.fd, &nsid) == 0, nsid >= 0, peers.contains(nsid) { reached.insert(entry.path) }
            }
            return reached
        }
        if let node { return try? node.runInside(ask) }
        return try? ask()
    }
}
