import ArgumentParser
import Engines
import Glibc
import NodeState
import Reports

/// `--textfile`: Prometheus metrics for node_exporter's textfile collector,
/// written besides (not instead of) the report.
struct TextfileOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write Prometheus metrics to this node_exporter textfile, atomically (e.g. .../textfile_collector/ctaudit.prom for audit, ctaudit-stats.prom for stats). A failed run writes ctaudit_audit_up 0 (stats: ctaudit_stats_up 0; docs/METRICS.md).",
            valueName: "path"),
        completion: .file(extensions: ["prom"])
    )
    var textfile: String?

    func validate() throws { try OutputPath.validate(textfile, option: "--textfile") }

    func write(_ report: AuditReport) throws {
        guard let textfile else { return }
        try AtomicFileWriter.write(PrometheusWriter.render(report, timestamp: SystemClock.unixSeconds()), to: textfile)
    }

    func write(_ report: StatsReport) throws {
        guard let textfile else { return }
        try AtomicFileWriter.write(StatsPrometheusWriter.render(report, timestamp: SystemClock.unixSeconds()), to: textfile)
    }

    /// After a failed audit: say so in the textfile, keeping the last success
    /// time from the previous file. Best effort: the original error matters more.
    func writeFailure() {
        writeFailure(lastSuccess: PrometheusWriter.lastSuccess(inTextfile:), render: PrometheusWriter.renderFailure(previousSuccess:))
    }

    /// The same after a failed `stats` run, with stats' own metric names.
    func writeStatsFailure() {
        writeFailure(
            lastSuccess: StatsPrometheusWriter.lastSuccess(inTextfile:),
            render: StatsPrometheusWriter.renderFailure(previousSuccess:))
    }

    private func writeFailure(lastSuccess: (String) -> Double?, render: (Double?) -> String) {
        guard let textfile else { return }
        let previous = Self.read(textfile).flatMap(lastSuccess)
        try? AtomicFileWriter.write(render(previous), to: textfile)
    }

    private static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}
