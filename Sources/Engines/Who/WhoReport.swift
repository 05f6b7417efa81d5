public import Conntrack
public import NodeState
public import Policy

/// What `who` found, finished: one answer per question (the endpoint asked,
/// each line of a log, each unanswered conversation of a capture), the
/// flows behind each, and what the read could not see.
public struct WhoReport: Sendable {
    public static let jsonSchema = "ctaudit.who/v1"

    /// Where the questions came from.
    public enum Source: Hashable, Sendable {
        case endpoint
        /// `--from-log`: the file ("-" for standard input) and how its read went.
        case log(path: String, lines: Int, cutLines: Int, stoppedAtLimit: Bool)
        /// `--pcap`: the file, packets read, conversations tracked and answered,
        /// and packets of conversations not tracked (capped).
        case capture(
            path: String, frames: Int, packets: Int, conversations: Int, answered: Int,
            untracked: Int, truncated: Bool)
    }

    public var host: String
    public var netns: String?
    public var generatedAt: String
    public var source: Source
    public var policy: AuditPolicy
    public var answers: [WhoAnswer]
    public var dump: DumpResult
    public var dataplanes: DataplaneSurvey
    public var entriesRead: Int
    public var flowsNotKept: Int
    public var podsLookedUp: Bool
    public var kubernetesWarnings: [KubernetesWarning]

    public init(
        host: String, netns: String?, generatedAt: String, source: Source, policy: AuditPolicy,
        answers: [WhoAnswer], snapshot: WhoSnapshot, podsLookedUp: Bool
    ) {
        self.host = host
        self.netns = netns
        self.generatedAt = generatedAt
        self.source = source
        self.policy = policy
        self.answers = answers
        self.dump = snapshot.dump
        self.dataplanes = snapshot.dataplanes
        self.entriesRead = snapshot.entriesRead
        self.flowsNotKept = snapshot.flowsNotKept
        self.podsLookedUp = podsLookedUp
        self.kubernetesWarnings = snapshot.warnings
    }

    /// At least one question has a flow behind it.
    public var found: Bool { answers.contains { !$0.flows.isEmpty } }

    public var flowCount: Int { answers.reduce(0) { $0 + $1.flows.count } }

    /// What may be missing from the answers, one line each.
    public var warnings: [String] {
        var lines: [String] = []
        if dump.interrupted {
            lines.append("the kernel flagged the dump as interrupted (NLM_F_DUMP_INTR): flows may be missing; ask again")
        }
        if let fallback = dump.kernelFilterFallback { lines.append(fallback) }
        if flowsNotKept > 0 {
            lines.append(
                "\(flowsNotKept) more matching flows were not kept (memory is bounded): narrow the question with --remote or --proto")
        }
        switch source {
        case .endpoint: break
        case .log(let path, _, let cut, let stopped):
            if cut > 0 { lines.append("\(cut) lines of \(path) longer than the line bound were cut") }
            if stopped { lines.append("stopped reading \(path) at the line bound: later lines are not answered") }
        case .capture(let path, _, _, let conversations, _, let untracked, let truncated):
            if untracked > 0 {
                lines.append(
                    "capped: \(conversations) conversations tracked; \(untracked) packets of further ones in \(path) were not (some unanswered ones may be missing)"
                )
            }
            if truncated { lines.append("\(path) ends mid-packet: read up to there") }
        }
        return lines + dataplanes.warnings
    }
}
