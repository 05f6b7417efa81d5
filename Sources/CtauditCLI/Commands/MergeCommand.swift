import ArgumentParser
import Engines
import Reports

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine audit JSON reports from many nodes into one summary: per node, per destination, worst offenders.",
        usage: "ctaudit merge [<options>] <file> ...",
        discussion: """
            Reads reports written by 'ctaudit audit --format json' (schema ctaudit.audit/v1), e.g. \
            collected from every node by a CronJob. When several reports come from the same node and \
            namespace, only the newest counts. Reads no conntrack table and needs no privileges.

            EXAMPLES
              ctaudit merge reports/*.json
              # one report on stdin:
              kubectl logs -l app=ctaudit --prefix=false | ctaudit merge -
              ctaudit merge -o json --top 50 node-*.json > fleet.json

            Each node keeps the verdict its audit gave (older reports without one: unknown); a node \
            whose report could not read a BPF NAT map is incomplete, and the fleet's verdict is its worst \
            node's: violations, pods-blocked, outside-violations, unknown, incomplete, nothing-to-audit, \
            clean-in-scope, clean (docs/AUDIT.md and docs/REPORTS.md say what each means).

            EXIT STATUS: 0 no violating flow in any report (or at most --max-violations), 1 violations \
            or outside-violations found, or pods blocked on a node (whatever --max-violations, as for \
            audit), 2 a file is missing or not an audit report (the file is named), 4 no failure but a \
            node's audit is uncertain (a --firewall rule it could not judge decides some flows).
            """
    )

    @Argument(
        help: ArgumentHelp("Audit JSON reports; '-' reads one from stdin.", valueName: "file"),
        completion: .file(extensions: ["json"]))
    var files: [String]

    enum Format: String, ReportFormat {
        case text
        case json

        static let formatHelp = "Output format: text or json (schema ctaudit.merge/v1)."
    }

    @Option(name: .long, help: ArgumentHelp("List the N worst destinations and offenders; 0 lists all.", valueName: "n"))
    var top: Int = 20

    @OptionGroup var reportOutput: ReportOutputOptions<Format>
    @OptionGroup var threshold: ViolationThresholdOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one report file (or '-' for stdin)") }
        if top < 0 { throw ValidationError("--top must be 0 (all) or more, got \(top)") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("'-' (stdin) can be given only once") }
        try InputPath.validate(files.filter { $0 != "-" }, option: "report")
    }

    func run() throws {
        let merged = try ReportMerger.load(paths: files, hints: .flags)
        let listed = top == 0 ? Int.max : top
        let output =
            switch reportOutput.format {
            case .text: MergedReportWriter.text(merged, top: listed, hints: .flags)
            case .json: MergedReportWriter.json(merged, top: listed)
            }
        try reportOutput.emit(output)
        try threshold.check(merged)
    }
}
