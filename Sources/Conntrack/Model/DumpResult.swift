/// What a table dump saw, besides the flows handed to the caller.
public struct DumpResult: Hashable, Sendable {
    /// Conntrack entries received, decoded and passed on (resends not included).
    public var flows = 0
    /// Messages that failed to decode and were skipped.
    public var malformed = 0
    /// The kernel applied the status filter itself (Linux 5.15+), so only
    /// matching entries crossed into user space.
    public var kernelFiltered = false
    /// Why the kernel filter was not used, when it was requested.
    public var kernelFilterFallback: String?
    /// The kernel flagged the dump as inconsistent (NLM_F_DUMP_INTR).
    /// Linux's conntrack table dump does not set this flag today (it resumes
    /// by entry id instead, see `DumpResendFilter`); it is read and reported
    /// so that a kernel that starts setting it is not ignored.
    public var interrupted = false
    /// Entries the kernel sent twice in this dump (same id, original tuple
    /// and zone; see `DumpResendFilter`): passed on once, counted here.
    public var duplicates = 0
    /// Datagrams received.
    public var datagrams = 0

    public init() {}
}
