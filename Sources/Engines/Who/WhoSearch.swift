public import Conntrack
import NodeState
public import Policy

/// Finds the flows behind translated endpoints: the conntrack table (for one
/// endpoint, the kernel filters on the reply tuple itself, CTA_FILTER; for
/// many, as for a kernel without that filter, it is asked for source-NATed
/// entries only, as audit does, and each entry is matched as it streams by
/// and dropped unless it matches), then the BPF dataplanes' NAT maps, then
/// the pods behind the matches. Read-only; memory grows only
/// with the matching flows, never with the table.
public struct WhoSearch: Sendable {
    public var policy: AuditPolicy
    /// Also read the BPF NAT maps under this bpffs directory; nil: conntrack only.
    public var bpffs: String?
    public var bpfBatchLookup: Bool
    /// Also match flows that source NAT did not change (the node's own,
    /// host-network pods, routed pod networks): the whole table is read.
    public var includesUntranslated: Bool
    /// Names pods; nil when pods are not named (`--no-pods`).
    public var kubernetes: KubernetesAwareness?
    /// At most this many matching flows are kept (the rest counted).
    public var maximumFlows: Int

    public init(
        policy: AuditPolicy, bpffs: String? = nil, bpfBatchLookup: Bool = true, includesUntranslated: Bool = false,
        kubernetes: KubernetesAwareness? = nil, maximumFlows: Int = 10_000
    ) {
        self.policy = policy
        self.bpffs = bpffs
        self.bpfBatchLookup = bpfBatchLookup
        self.includesUntranslated = includesUntranslated
        self.kubernetes = kubernetes
        self.maximumFlows = maximumFlows
    }

    /// Reads the tables of `namespace` (nil: this process's own) once, keeping
    /// the flows whose translated source is in `endpoints`.
    /// `kernelFilter`: one endpoint, asked of the kernel itself (CTA_FILTER on
    /// the reply tuple), one dump per protocol with ports (or only `proto`);
    /// a kernel without the filter is asked for source-NATed entries instead.
    public func snapshot(
        of endpoints: Set<Endpoint>, namespace: NetworkNamespace?,
        kernelFilter endpoint: Endpoint? = nil, proto: IPProtocol? = nil
    ) throws -> WhoSnapshot {
        var policy = policy
        policy.localAddresses.formUnion(NamespaceAddresses.read(namespace))
        var collector = Collector(
            policy: policy, endpoints: endpoints, includesUntranslated: includesUntranslated,
            maximumFlows: maximumFlows)
        var snapshot = WhoSnapshot()
        if !endpoints.isEmpty {
            let socket = try ConntrackSocket(namespace: namespace)
            let status: FlowStatus = includesUntranslated ? [] : .sourceNAT
            if let endpoint {
                var merged = DumpResult()
                merged.kernelFiltered = true
                for proto in proto.map({ [$0] }) ?? Self.protocolsWithPorts {
                    let request = DumpRequest(requiredStatus: status, replyDestination: .init(endpoint: endpoint, proto: proto))
                    let result = try socket.dump(request) { flow in collector.add(flow, dataplane: .conntrack) }
                    merged.flows += result.flows
                    merged.malformed += result.malformed
                    merged.duplicates += result.duplicates
                    merged.datagrams += result.datagrams
                    merged.interrupted = merged.interrupted || result.interrupted
                    merged.kernelFiltered = merged.kernelFiltered && result.kernelFiltered
                    merged.kernelFilterFallback = merged.kernelFilterFallback ?? result.kernelFilterFallback
                }
                snapshot.dump = merged
            } else {
                snapshot.dump = try socket.dump(DumpRequest(requiredStatus: status)) { flow in
                    collector.add(flow, dataplane: .conntrack)
                }
            }
            if let bpffs {
                snapshot.dataplanes = BPFDataplaneReader(bpffs: bpffs, batchLookup: bpfBatchLookup).read(into: &collector)
            }
        }
        snapshot.entriesRead = collector.entriesRead
        snapshot.flowsNotKept = collector.notKept
        let now = SystemClock.wallNanoseconds()
        var identities: [IPAddress: PodIdentity] = [:]
        if let kubernetes, kubernetes.attributePods, !collector.found.isEmpty {
            var attribution = PodAttribution.load(root: kubernetes.root, excluding: namespace.map { [$0] } ?? [])
            identities = attribution.identify(collector.found.values.flatMap { $0.map(\.flow.original.source) })
            Self.pinAmbiguous(&identities, attribution: &attribution, node: namespace)
            snapshot.warnings = attribution.warnings
        }
        for (endpoint, found) in collector.found {
            snapshot.flows[endpoint] = found.map { entry in
                let flow = entry.flow
                let age = flow.startedAtNanoseconds.flatMap { start in now >= start ? (now - start) / 1_000_000_000 : nil }
                return WhoFlow(
                    flow: flow, dataplane: entry.dataplane, ageSeconds: age,
                    pod: kubernetes?.attributePods == true ? identities[flow.original.source] : nil,
                    verdict: WhoVerdict(flow, policy: policy),
                    decision: policy.firewall == nil ? nil : policy.decide(flow))
            }.sorted { ($0.ageSeconds ?? 0, $0.flow.id ?? 0) > ($1.ageSeconds ?? 0, $1.flow.id ?? 0) }
        }
        return snapshot
    }

    /// An address several live namespaces hold (the pods of several test
    /// nodes, or labs, on one machine) is the pod whose namespace hangs off
    /// the node whose table holds the flow: the one a veth of the node's
    /// namespace reaches. Audit leaves such an address ambiguous; who knows
    /// which node it asks.
    static func pinAmbiguous(
        _ identities: inout [IPAddress: PodIdentity], attribution: inout PodAttribution,
        node: NetworkNamespace?
    ) {
        for (address, identity) in identities where identity.netns == nil && !identity.otherNetns.isEmpty {
            let candidates = attribution.live.holding(address)
            guard let reached = NamespaceLinks.reached(from: node, candidates: candidates.map(\.path)) else { continue }
            let linked = candidates.filter { reached.contains($0.path) }
            guard linked.count == 1 else { continue }
            var pinned = attribution.identify(address, in: linked[0])
            pinned.evidence.append(
                "of \(candidates.count) live namespaces holding \(address), only \(linked[0].label) is linked to the node's namespace (veth)"
            )
            identities[address] = pinned
        }
    }

    /// The protocols whose tuples carry ports, one kernel-filtered dump each.
    static let protocolsWithPorts: [IPProtocol] = [.tcp, .udp, .sctp, .udplite, .dccp]

    /// Where the dump and the BPF readers deliver: keeps what matches.
    struct Collector: DataplaneFlowSink {
        let policy: AuditPolicy
        let endpoints: Set<Endpoint>
        let includesUntranslated: Bool
        let maximumFlows: Int
        var found: [Endpoint: [(flow: Flow, dataplane: Dataplane)]] = [:]
        var kept = 0
        var notKept = 0
        var entriesRead = 0

        mutating func add(_ flow: Flow, dataplane: Dataplane) {
            entriesRead += 1
            guard flow.proto.carriesPorts else { return }
            // A kernel that ignored the status filter sends every entry.
            if dataplane == .conntrack && !includesUntranslated && !flow.isSourceNATed { return }
            let endpoint = Endpoint(address: flow.reply.destination, port: flow.reply.destinationPort)
            guard endpoints.contains(endpoint) else { return }
            guard kept < maximumFlows else {
                notKept += 1
                return
            }
            kept += 1
            found[endpoint, default: []].append((flow, dataplane))
        }
    }
}
