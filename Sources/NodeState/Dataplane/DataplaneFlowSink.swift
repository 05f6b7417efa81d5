public import Conntrack
public import Policy

/// Where a BPF dataplane reader delivers the translations it decodes: the
/// audit's accumulator (Engines). The reader asks the policy only to tell
/// whether a Cilium entry without its reverse half matters.
public protocol DataplaneFlowSink {
    var policy: AuditPolicy { get }
    mutating func add(_ flow: Flow, dataplane: Dataplane)
}
