public import Conntrack

/// The addresses of one network namespace (the audited node's own), so that
/// a flow whose peer is the node itself is known to stay on the node.
/// Read-only: `/proc/thread-self/net/fib_trie` and `if_inet6` as seen from
/// inside the namespace.
public enum NamespaceAddresses {
    /// Every local IPv4 and IPv6 address of `namespace` (nil: ctaudit's
    /// own). Empty when the namespace cannot be entered: the caller's dump
    /// fails with the clearer error then.
    public static func read(_ namespace: NetworkNamespace?) -> Set<IPAddress> {
        func readHere() -> Set<IPAddress> {
            ProcNetParser.ipv4Addresses(fibTrie: NodeFiles.read("/proc/thread-self/net/fib_trie") ?? "")
                .union(ProcNetParser.ipv6Addresses(ifInet6: NodeFiles.read("/proc/thread-self/net/if_inet6") ?? ""))
        }
        guard let namespace else { return readHere() }
        return (try? namespace.withEntered(readHere)) ?? []
    }
}
