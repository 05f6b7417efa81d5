public import Conntrack
import NodeState
public import Policy

/// Folds a stream of flows into counts and the violations to report,
/// holding nothing else: memory grows with violations, not with the table.
///
/// Every flow given is counted: entries a dump delivers twice were already
/// dropped by the dump (by id, original tuple and zone; `DumpResult.duplicates`).
/// Deduplicating here by CTA_ID alone would drop real entries that share an id.
public struct AuditAccumulator: Sendable {
    public let policy: AuditPolicy
    public private(set) var summary = AuditSummary()
    public private(set) var violations: ViolationList
    /// Violations by deciding firewall rule, when judged by `--firewall`.
    public private(set) var firewallDrops: FirewallDropTally?
    /// Uncertain flows by the rule ctaudit cannot judge that decides them (`--firewall`).
    public private(set) var firewallUncertain: FirewallDropTally?
    /// The uncertain flows themselves, kept like the violations (same retention).
    public private(set) var uncertainFlows: ViolationList
    /// Translated source addresses of the audited flows (at most a few per
    /// family): the node addresses the firewall's summaries are asked about.
    public private(set) var translatedAddresses: [IPAddress] = []
    static let maximumTranslatedAddresses = 8
    /// Node-local flows, kept only when `keepsNodeLocal` (`--node-local`).
    public private(set) var nodeLocalFlows = ViolationList()
    /// List node-local flows, not only count them.
    public var keepsNodeLocal = false
    /// Translated ports of every audited flow with ports (allowed and violating), for charts.
    public private(set) var translatedPorts = PortHistogram()
    /// Flows translated onto a NodePort or a listening socket's port, when
    /// the audit looks for them (`PortOverlap`).
    public var portOverlap: FlowOverlapTally?
    /// Wall clock at the start of the audit, for ages (ns since the epoch).
    private let nowNanoseconds: UInt64?
    /// A BPF map walk that restarts (a hash map changing underneath) can
    /// return an entry twice; BPF violations are deduplicated on the flow.
    private var seenBPFViolations = Set<Flow>()

    /// `retention`: keep every violation whole (JSON) or only the worst N
    /// (reports that print counts, groups and their worst flows).
    public init(policy: AuditPolicy, nowNanoseconds: UInt64? = nil, retention: ViolationList.Retention = .all) {
        self.policy = policy
        self.nowNanoseconds = nowNanoseconds
        violations = ViolationList(retention: retention)
        uncertainFlows = ViolationList(retention: retention)
        if policy.firewall != nil {
            firewallDrops = FirewallDropTally()
            firewallUncertain = FirewallDropTally()
        }
    }

    /// Adds one flow. Conntrack entries count as entries read; flows from a
    /// BPF dataplane's map count only in that dataplane's counts (and in the
    /// totals of what they are: SNAT, remapped, violation).
    public mutating func add(_ flow: Flow, dataplane: Dataplane = .conntrack) {
        if dataplane == .conntrack { summary.flowsRead += 1 } else { summary.dataplanes[dataplane, default: DataplaneCounts()].flows += 1 }
        let flowClass =
            dataplane.auditsEverySource
            ? policy.auditingEverySource.classify(flow) : policy.classify(flow)
        switch flowClass {
        case .notSourceNATed:
            break
        case .outOfScope:
            summary.outOfScope += 1
            if let wouldBe = policy.classifyOutsidePodNetworks(flow) {
                summary.outsidePodNetworks.add(flow, as: wouldBe, ageSeconds: age(of: flow))
            }
        case .nodeLocal:
            summary.nodeLocal += 1
            if keepsNodeLocal { nodeLocalFlows.append(Violation(flow: flow, ageSeconds: age(of: flow), dataplane: dataplane)) }
        case .withoutPorts:
            summary.snat += 1
            summary.countBPF(dataplane) { $0.snat += 1 }
            summary.withoutPorts += 1
        case .allowed(let remapped):
            noteTranslatedAddress(flow)
            summary.snat += 1
            summary.countBPF(dataplane) { $0.snat += 1 }
            translatedPorts.add(port: flow.translatedSourcePort, violation: false)
            notePortOverlap(flow, dataplane: dataplane)
            if remapped {
                summary.remapped += 1
                summary.countBPF(dataplane) { $0.remapped += 1 }
            }
        case .uncertain(let remapped):
            noteTranslatedAddress(flow)
            summary.snat += 1
            summary.countBPF(dataplane) { $0.snat += 1 }
            if remapped {
                summary.remapped += 1
                summary.countBPF(dataplane) { $0.remapped += 1 }
            }
            summary.uncertain += 1
            if flow.isUnreplied { summary.uncertainUnreplied += 1 }
            translatedPorts.add(port: flow.translatedSourcePort, violation: false)
            notePortOverlap(flow, dataplane: dataplane)
            var uncertainFlow = Violation(flow: flow, ageSeconds: age(of: flow), dataplane: dataplane)
            if let firewall = policy.firewall {
                // Decided once: the tally, the report and every writer use this.
                let decision = firewall.decide(flow)
                uncertainFlow.firewallDecision = decision
                firewallUncertain?.add(uncertainFlow, decision: decision)
            }
            uncertainFlows.append(uncertainFlow)
        case .violation(let remapped):
            noteTranslatedAddress(flow)
            // Only violations are kept, so only they are deduplicated: a
            // repeated allowed entry shifts a count by one at most.
            if dataplane != .conntrack, !seenBPFViolations.insert(flow).inserted { return }
            summary.snat += 1
            if remapped { summary.remapped += 1 } else { summary.violationsKeptPort += 1 }
            summary.violations += 1
            summary.countBPF(dataplane) { counts in
                counts.snat += 1
                counts.violations += 1
                if remapped { counts.remapped += 1 }
            }
            translatedPorts.add(port: flow.translatedSourcePort, violation: true)
            notePortOverlap(flow, dataplane: dataplane)
            if flow.isUnreplied { summary.violationsUnreplied += 1 }
            var violation = Violation(flow: flow, ageSeconds: age(of: flow), dataplane: dataplane)
            if let firewall = policy.firewall {
                // Decided once: the tally, the report and every writer use this.
                let decision = firewall.decide(flow)
                violation.firewallDecision = decision
                firewallDrops?.add(violation, decision: decision)
            }
            violations.append(violation)
        }
    }

    private mutating func notePortOverlap(_ flow: Flow, dataplane: Dataplane) {
        guard portOverlap != nil else { return }
        let ageSeconds = age(of: flow)
        portOverlap!.add(flow, ageSeconds: ageSeconds, dataplane: dataplane)
    }

    private mutating func noteTranslatedAddress(_ flow: Flow) {
        let address = flow.translatedSource
        guard translatedAddresses.count < Self.maximumTranslatedAddresses * 2, !translatedAddresses.contains(address),
            translatedAddresses.lazy.filter({ $0.family == address.family }).count < Self.maximumTranslatedAddresses
        else { return }
        translatedAddresses.append(address)
    }

    private func age(of flow: Flow) -> UInt64? {
        guard let start = flow.startedAtNanoseconds, let now = nowNanoseconds, now >= start else { return nil }
        return (now - start) / 1_000_000_000
    }

    /// The uncertain flows, worst first, moved out of the accumulator.
    public mutating func takeUncertainFlows() -> ViolationList {
        var taken = ViolationList(retention: uncertainFlows.retention)
        swap(&taken, &uncertainFlows)
        taken.sortWorstFirst()
        return taken
    }

    /// The node-local flows, moved out of the accumulator.
    public mutating func takeNodeLocalFlows() -> ViolationList {
        var taken = ViolationList()
        swap(&taken, &nodeLocalFlows)
        return taken
    }

    /// Sets the table's entry count when the kernel filtered the dump and the
    /// entries read are only the source-NATed ones.
    public mutating func setTableEntries(_ entries: Int) {
        summary.flows = max(entries, summary.flowsRead)
    }

    /// The violations, worst first.
    public func sortedViolations() -> ViolationList {
        var copy = violations
        copy.sortWorstFirst()
        return copy
    }

    /// The violations, worst first, moved out of the accumulator, so a node
    /// with many violations never holds two copies.
    public mutating func takeSortedViolations() -> ViolationList {
        var taken = ViolationList(retention: violations.retention)
        swap(&taken, &violations)
        taken.sortWorstFirst()
        return taken
    }

    mutating func finish() {
        if summary.flows == 0 { summary.flows = summary.flowsRead }
    }
}
