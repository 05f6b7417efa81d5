public import Conntrack
public import NodeState
public import Policy

/// Reads `ip_local_port_range` inside every live pod namespace and keeps the
/// pods whose range reaches outside the allowed ports. Read-only.
public enum PodPortRangeScan {
    public struct Result: Sendable {
        public var findings: [PodPortRangeFinding] = []
        /// Namespaces read.
        public var scanned = 0
        public var warnings: [KubernetesWarning] = []
    }

    /// Pod namespaces are the live ones (other than the node's) with an
    /// address in `podNetworks`, or with any address when none are known.
    public static func scan(
        attribution: inout PodAttribution, admissions: ReplyAdmissionTable, podNetworks: [IPNetwork],
        violations: ViolationList = []
    ) -> Result {
        var result = Result()
        // Kept-port violations per source address, counted once (not per
        // namespace); an address has one pod, so its count goes to one place.
        var keptPort: [IPAddress: (count: Int, pod: PodIdentity?)] = [:]
        for violation in violations.allFacts where !violation.isRemapped {
            keptPort[violation.source, default: (0, violations.pod(for: violation.source))].count += 1
        }
        for namespace in attribution.live.namespaces {
            let podAddresses = namespace.addresses.filter { address in
                podNetworks.isEmpty || podNetworks.contains { $0.contains(address) }
            }.sorted()
            guard let address = podAddresses.first else { continue }
            let range: PortRange
            do {
                let (low, high) = try NamespaceSysctl.localPortRange(in: namespace.namespace)
                range = PortRange(low: low, high: high) ?? PortRange(low: high, high: low)!
            } catch ConntrackError.namespaceNotFound {
                // The namespace ended since it was listed (its pod went away):
                // churn, not a problem anyone can act on.
                continue
            } catch {
                result.warnings.append(
                    KubernetesWarning(
                        subject: "netns \(namespace.label)",
                        message: "\(error); its port range was not checked"))
                continue
            }
            result.scanned += 1
            let exposures = Self.exposures(range, families: Set(podAddresses.map(\.family)), admissions: admissions)
            guard !exposures.isEmpty else { continue }
            let pod = attribution.identify(address, in: namespace)
            var finding = PodPortRangeFinding(pod: pod, range: range, exposures: exposures)
            // A violation is this pod's when attribution pinned it here, or
            // (not attributed) when its source is one of this pod's addresses.
            finding.keptPortViolations = namespace.addresses.reduce(0) { count, address in
                guard let kept = keptPort[address] else { return count }
                let owned = if let owner = kept.pod?.netns { owner == namespace.label } else { kept.pod?.otherNetns.isEmpty ?? true }
                return count + (owned ? kept.count : 0)
            }
            result.findings.append(finding)
        }
        return result
    }

    /// What each port-carrying protocol's replies in each of the pod's
    /// families do to `range`: the answers that leave some of it out.
    public static func exposures(
        _ range: PortRange, families: Set<IPAddress.Family>,
        admissions: ReplyAdmissionTable
    ) -> [PodPortRangeFinding.Exposure] {
        var result: [PodPortRangeFinding.Exposure] = []
        for family in [IPAddress.Family.ipv4, .ipv6] where families.contains(family) {
            for proto in ReplyAdmissionTable.protocols {
                let admission = admissions[proto, family]
                let outside = Self.outside(range, allowed: admission.admittedForEveryPeer)
                guard !outside.isEmpty else { continue }
                let span = PortRangeSet(range)
                result.append(
                    .init(
                        proto: proto, family: family, outside: outside,
                        blocked: span.subtracting(admission.possiblyAdmitted),
                        uncertain: span.intersection(admission.uncertainPorts).subtracting(admission.admittedForEveryPeer),
                        peers: admission.dependsOnPeer && !admission.isClosed ? admission.peerSentence : nil))
                result[result.count - 1].closed = admission.isClosed
            }
        }
        return result
    }

    /// The ports of `range` that `allowed` does not contain.
    public static func outside(_ span: PortRange, allowed: PortRangeSet) -> PortRangeSet {
        let blocked = allowed.complement.ranges.compactMap { gap in
            PortRange(low: max(gap.low, span.low), high: min(gap.high, span.high))
        }
        return PortRangeSet(blocked)
    }
}
