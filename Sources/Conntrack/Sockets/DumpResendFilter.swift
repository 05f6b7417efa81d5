/// Drops the entries a dump delivers twice, by exact identity.
///
/// The kernel fills a dump one datagram at a time. When a datagram is full it
/// remembers the id of the entry that did not fit and, on the next read,
/// walks the same hash bucket again until it finds that id. If that entry
/// was deleted in between, it restarts the bucket from its head and sends
/// again the entries of that bucket it had already sent (net/netfilter/
/// nf_conntrack_netlink.c, `ctnetlink_dump_table`). So a resent entry always
/// stands in the datagram before (or the one being read): remembering the
/// identities of those two datagrams finds every resend, in memory bounded by
/// a datagram (~150 entries), not by the table.
///
/// Identity is id + original tuple + zone (`FlowIdentity`), never the id
/// alone: two live entries can share a CTA_ID, and both are real.
struct DumpResendFilter {
    private var previous: [FlowIdentity] = []
    private var previousIDs = DatagramIDSet()
    private var current: [FlowIdentity] = []
    private var currentIDs = DatagramIDSet()

    /// Whether `flow` was already delivered in this or the previous datagram;
    /// remembers it otherwise.
    mutating func isResend(_ flow: Flow) -> Bool {
        // Without an id the kernel gave nothing to resume by: never a resend.
        guard let id = flow.id else { return false }
        let identity = flow.identity
        // The id sets make the common case (no shared id) one hash lookup;
        // the identity comparison runs only when an id repeats.
        if previousIDs.contains(id), previous.contains(identity) { return true }
        if !currentIDs.insert(id), current.contains(identity) { return true }
        current.append(identity)
        return false
    }

    /// The datagram was read to its end: it becomes the previous one.
    mutating func endDatagram() {
        swap(&previous, &current)
        swap(&previousIDs, &currentIDs)
        current.removeAll(keepingCapacity: true)
        currentIDs.removeAll()
    }
}
