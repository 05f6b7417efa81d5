import Conntrack
import Glibc
import NodeState

/// Reads the audited namespace's NAT rules on a thread of its own while the
/// table is dumped. The read runs `nft` and the `iptables-save` family as
/// child processes, tens of milliseconds that the audit otherwise spent after
/// the dump, one after the other. The rules are judged after the dump as
/// before (`NodeNATRules.annotate`), and only when the report needs them;
/// a read that was not needed is dropped, its errors unseen.
///
/// Read-only like every reader; the thread enters nothing (the listing
/// commands run under `nsenter`, the sysctls through /proc/thread-self).
final class NATRulesPrefetch: @unchecked Sendable {
    // @unchecked: `outcome` is written by the reading thread before it ends
    // and read only after `pthread_join`, which orders the accesses.
    private let namespace: NetworkNamespace?
    private var outcome: Result<RuleSet, any Error>?
    private var thread: pthread_t?

    /// Starts reading; when no thread can be started, `rules()` reads then.
    init(namespace: NetworkNamespace?) {
        self.namespace = namespace
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let started = pthread_create(
            &thread, nil,
            { context in
                let prefetch = Unmanaged<NATRulesPrefetch>.fromOpaque(context!).takeRetainedValue()
                // Stop signals belong to the caller's thread.
                var stopping = sigset_t()
                sigemptyset(&stopping)
                sigaddset(&stopping, SIGINT)
                sigaddset(&stopping, SIGTERM)
                pthread_sigmask(SIG_BLOCK, &stopping, nil)
                prefetch.outcome = Result { try RuleSetReader(namespace: prefetch.namespace).read() }
                return nil
            }, context)
        if started == 0 {
            self.thread = thread
        } else {
            Unmanaged<NATRulesPrefetch>.fromOpaque(context).release()
        }
    }

    deinit {
        // Never leave the thread running (or unjoined) behind an audit that threw.
        if let thread { pthread_join(thread, nil) }
    }

    /// What `RuleSetReader(namespace:).read()` returned or threw.
    func rules() throws -> RuleSet {
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
        if outcome == nil { outcome = Result { try RuleSetReader(namespace: namespace).read() } }
        return try outcome!.get()
    }
}
