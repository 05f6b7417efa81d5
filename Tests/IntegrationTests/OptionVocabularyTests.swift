import Foundation
import Testing

/// One option vocabulary across subcommands (issue 23.1): `-o`/`--format`
/// picks the format as in conntrack and kubectl, `--output FILE` the file,
/// and every subcommand that writes a report has the same output flags. No
/// root needed: the help and `merge` read no table.
@Suite("Option vocabulary (any user)")
struct OptionVocabularyTests {
    static let reportCommands = ["audit", "check", "watch", "stats", "merge", "probe"]

    @Test("every report-writing subcommand has -o/--format, --output FILE and -q/--quiet", arguments: reportCommands)
    func sameOutputFlags(command: String) throws {
        let help = try Shell.run(Shell.ctauditBinary, [command, "--help"], environment: ["COLUMNS": "200"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("-o, --format <format>"), "\(command)")
        #expect(help.stdout.contains("--output <file>"), "\(command)")
        #expect(help.stdout.contains("-q, --quiet"), "\(command)")
        // -o is no longer the file.
        #expect(!help.stdout.contains("-o, --output"), "\(command)")
    }

    /// `-o json` prints JSON on stdout; `--output FILE` writes the file and says so on stderr.
    @Test func dashOPicksTheFormatAndOutputNamesTheFile() throws {
        let report = Shell.packageRoot.appendingPathComponent("Tests/ReportsTests/Golden/audit-report.json").path
        let json = try Shell.run(Shell.ctauditBinary, ["merge", "-o", "json", report])
        #expect(json.status == 1, "the golden report has violations: \(json.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(object?["schema"] as? String == "ctaudit.merge/v1")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-vocab-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("fleet.json").path
        let written = try Shell.run(Shell.ctauditBinary, ["merge", "-o", "json", "--output", path, report])
        #expect(written.stdout.isEmpty)
        #expect(written.stderr == "ctaudit: wrote json report to \(path)\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == json.stdout)
        // --quiet: not even the line naming the file.
        let quiet = try Shell.run(Shell.ctauditBinary, ["merge", "-q", "-o", "json", "--output", path, report])
        #expect(quiet.stdout.isEmpty && quiet.stderr.isEmpty)
    }
}
