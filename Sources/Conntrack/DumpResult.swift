/// What a table dump saw, besides the flows handed to the caller.
public struct DumpResult: Hashable, Sendable {
    /// Conntrack messages received and decoded.
    public var flows = 0
    /// Messages that failed to decode and were skipped.
    public var malformed = 0
    /// The kernel applied the status filter itself (Linux 5.15+), so only
    /// matching entries crossed into user space.
    public var kernelFiltered = false
    /// Why the kernel filter was not used, when it was requested.
    public var kernelFilterFallback: String?
    /// The kernel flagged the dump as inconsistent (NLM_F_DUMP_INTR): the
    /// table changed under it. Entries may be missing or repeated.
    public var interrupted = false
    /// Datagrams received.
    public var datagrams = 0

    public init() {}
}
