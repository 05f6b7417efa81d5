import FoundationEssentials
public import NodeState
public import Policy

/// Combines `ctaudit.audit/v1` JSON reports (`ctaudit audit --format json`
/// from each node) into a `MergedReport`.
///
/// When several reports come from the same node and namespace (a directory
/// of hourly reports), only the newest counts and the others are listed as
/// superseded: adding them up would count the same long-lived flow twice.
public enum ReportMerger {
    /// Reads and merges files; `-` is standard input.
    /// `hints`: how errors name where a report comes from (the caller's words).
    public static func load(paths: [String], hints: ReaderHintWording = .plain) throws(InputFileError) -> MergedReport {
        var inputs: [(String, [UInt8])] = []
        for path in paths {
            // Bounded, and refuses devices (InputFile): /dev/zero must not eat the node.
            do {
                inputs.append((path, path == "-" ? try InputFile.read(descriptor: 0, name: "-") : try InputFile.read(path)))
            } catch  where error.reason == "is a directory" {
                throw InputFileError(path: path, reason: "is a directory; pass the files, e.g. \(path)/*.json")
            }
        }
        return try merge(inputs, hints: hints)
    }

    public static func merge(
        _ inputs: [(path: String, bytes: [UInt8])], hints: ReaderHintWording = .plain
    ) throws(InputFileError) -> MergedReport {
        var newest: [String: (path: String, document: AuditDocument)] = [:]
        var order: [String] = []
        var merged = MergedReport()
        for (path, data) in inputs {
            let document = try AuditDocument.decode(data, path: path, hints: hints)
            let key = document.host + "\u{0}" + (document.netns ?? "")
            if let existing = newest[key] {
                // RFC 3339 UTC strings of one format sort by time.
                if document.generatedAt > existing.document.generatedAt {
                    merged.superseded.append(existing.path)
                    newest[key] = (path, document)
                } else {
                    merged.superseded.append(path)
                }
            } else {
                newest[key] = (path, document)
                order.append(key)
            }
        }
        var destinations: [String: MergedReport.Destination] = [:]
        var offenders: [String: MergedReport.Offender] = [:]
        var allowedSets: [String] = []
        for key in order {
            let (path, document) = newest[key]!
            let host = document.netns.map { "\(document.host)/\($0)" } ?? document.host
            if !allowedSets.contains(document.allowedDescription) { allowedSets.append(document.allowedDescription) }
            merged.nodes.append(
                MergedReport.Node(
                    host: document.host, netns: document.netns, generatedAt: document.generatedAt, file: path,
                    allowed: document.allowedDescription, flows: document.summary.flows, snat: document.summary.snat,
                    remapped: document.summary.remapped, violations: document.summary.violations,
                    unreplied: document.summary.violationsUnreplied,
                    verdict: .of(
                        reported: document.verdict, violations: document.summary.violations,
                        outsideWouldViolate: document.summary.outsidePodNetworksWouldViolate ?? 0,
                        uncertain: document.summary.uncertain ?? 0,
                        incomplete: (document.dataplanes?.isIncomplete ?? false) || document.dumpInterrupted == true),
                    reportedVerdict: document.verdict, nodeLocal: document.summary.nodeLocal,
                    uncertain: document.summary.uncertain,
                    dataplanes: document.dataplanes?.read.map { plane in
                        MergedReport.DataplaneCounts(
                            dataplane: plane.name, flows: plane.counts.flows, snat: plane.counts.snat,
                            remapped: plane.counts.remapped, violations: plane.counts.violations)
                    },
                    unreadMaps: document.dataplanes?.unreadMaps ?? [], warnings: document.dataplanes?.warnings ?? [],
                    dumpInterrupted: document.dumpInterrupted,
                    outside: document.summary.outsidePodNetworks.map { flows in
                        MergedReport.OutsideFlows(
                            flows: flows, wouldViolate: document.summary.outsidePodNetworksWouldViolate ?? 0,
                            sources: (document.outsideSources ?? []).map {
                                MergedReport.OutsideFlows.Source(network: $0.network, flows: $0.flows, wouldViolate: $0.wouldViolate)
                            })
                    },
                    podsBlocked: document.summary.podsBlocked))
            for flow in document.violations {
                let destinationKey = "\(flow.original.dst)\u{0}\(flow.original.dport ?? -1)\u{0}\(flow.proto)"
                var destination =
                    destinations[destinationKey]
                    ?? MergedReport.Destination(
                        address: flow.original.dst, port: flow.original.dport, proto: flow.proto)
                destination.violations += 1
                if flow.unreplied { destination.unreplied += 1 }
                destination.nodes.insert(host)
                destination.pods.insert(host + "\u{0}" + flow.original.src)
                destinations[destinationKey] = destination

                let offenderKey = "\(host)\u{0}\(flow.original.src)\u{0}" + destinationKey
                var offender =
                    offenders[offenderKey]
                    ?? MergedReport.Offender(
                        host: host, pod: flow.original.src, address: flow.original.dst, port: flow.original.dport, proto: flow.proto)
                offender.violations += 1
                if offender.podName == nil { offender.podName = flow.podName }
                if flow.unreplied { offender.unreplied += 1 }
                offender.translatedPorts.insert(flow.translatedPort)
                offenders[offenderKey] = offender
            }
        }
        merged.allowedSets = allowedSets
        merged.nodes.sort {
            ($1.violations, $0.verdict.rank, $0.host, $0.netns ?? "") < ($0.violations, $1.verdict.rank, $1.host, $1.netns ?? "")
        }
        merged.destinations = destinations.values.sorted {
            ($1.unreplied, $1.violations, $0.address, $0.port ?? -1, $0.proto) < (
                $0.unreplied, $0.violations, $1.address, $1.port ?? -1, $1.proto
            )
        }
        merged.offenders = offenders.values.sorted {
            ($1.unreplied, $1.violations, $0.host, $0.pod, $0.address) < ($0.unreplied, $0.violations, $1.host, $1.pod, $1.address)
        }
        return merged
    }
}
