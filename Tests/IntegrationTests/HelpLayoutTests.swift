import Foundation
import Testing

/// `--help` read at 80 columns (issue 23.5): nothing wider, no example or
/// list item wrapped onto column 0, every default shown once. No root needed.
@Suite("Help at 80 columns (any user)")
struct HelpLayoutTests {
    static let commands = ["", "audit", "check", "watch", "stats", "merge", "probe"]

    static func help(_ command: String) throws -> String {
        let arguments = command.isEmpty ? ["--help"] : [command, "--help"]
        let result = try Shell.run(Shell.ctauditBinary, arguments, environment: ["COLUMNS": "80"])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout
    }

    @Test("no line wider than 80 columns", arguments: commands)
    func fitsIn80Columns(command: String) throws {
        for line in try Self.help(command).split(separator: "\n") {
            #expect(line.count <= 80, "ctaudit \(command) --help: \(line.count) columns: \(line)")
        }
    }

    /// EXAMPLES, VERDICTS, EXIT STATUS: a heading, then indented lines. A
    /// line at column 0 inside such a block is a command or item that wrapped.
    @Test("examples and lists never wrap onto column 0", arguments: commands)
    func listsStayIndented(command: String) throws {
        let blocks = try Self.help(command).components(separatedBy: "\n\n")
        for block in blocks {
            let lines = block.split(separator: "\n", omittingEmptySubsequences: false)
            guard let heading = lines.first, heading == heading.uppercased(), heading.first?.isLetter == true,
                !heading.contains(":"), lines.count > 1
            else { continue }
            for line in lines.dropFirst() {
                #expect(line.hasPrefix("  "), "ctaudit \(command) --help, \(heading): wrapped line: \(line)")
            }
        }
    }

    /// Each option's own help, from its flag line to the next flag line.
    static func optionBlocks(_ help: String) -> [String: String] {
        var blocks: [String: String] = [:]
        var current: String?
        for line in help.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            if line.hasPrefix("  -"), let flag = trimmed.split(separator: " ").first(where: { $0.hasPrefix("--") }) {
                current = String(flag.trimmingSuffix(","))
                blocks[current!] = String(line)
            } else if let current, line.hasPrefix("    ") {
                blocks[current]! += " " + trimmed
            } else if !line.hasPrefix("    ") {
                current = nil
            }
        }
        return blocks
    }

    @Test("no option states its default twice", arguments: commands.dropFirst())
    func defaultsOnce(command: String) throws {
        for (flag, text) in Self.optionBlocks(try Self.help(command)) {
            let count = text.lowercased().components(separatedBy: "default").count - 1
            #expect(count <= 1, "ctaudit \(command) \(flag): \(text)")
        }
    }

    /// Options with a value ctaudit uses when none is given say which.
    @Test(
        "options with a default show it",
        arguments: [
            ("watch", "--interval", "(default: 15)"), ("watch", "--receive-buffer", "(default: 8M)"),
            ("probe", "--range", "(default: 1024-65535)"), ("probe", "--rate", "(default: 5)"),
            ("probe", "--timeout", "(default: 1)"), ("probe", "--max-probes", "(default: 64)"),
            ("stats", "--top", "(default: 20)"), ("merge", "--top", "(default: 20)"),
            ("audit", "--max-violations", "(default: 0)"), ("audit", "--format", "default: text"),
            ("audit", "--root", "(default: /)"), ("audit", "--allow", "Default: 32768-65535"),
        ])
    func defaultShown(command: String, flag: String, expected: String) throws {
        let text = try #require(Self.optionBlocks(try Self.help(command))[flag], "\(flag) in ctaudit \(command) --help")
        #expect(text.replacingOccurrences(of: "  ", with: " ").contains(expected), "\(text)")
    }

    /// stats and watch do not audit: their --pod-cidr and --firewall say what they do there.
    @Test func policyFlagsSayWhatTheyDoInEachCommand() throws {
        func pod(_ command: String) throws -> String { try #require(Self.optionBlocks(try Self.help(command))["--pod-cidr"]) }
        #expect(try pod("audit").contains("are audited"))
        #expect(try pod("watch").contains("are watched"))
        #expect(try pod("stats").contains("port spaces") && !(try pod("stats").contains("audited")))
        #expect(try pod("check").contains("NAT rules"))
        let statsFirewall = try #require(Self.optionBlocks(try Self.help("stats"))["--firewall"])
        #expect(statsFirewall.contains("port pressure"), "\(statsFirewall)")
    }

    @Test func helpTopicsExitZeroForCommands() throws {
        let audit = try Shell.run(Shell.ctauditBinary, ["help", "audit"])
        #expect(audit.status == 0 && audit.stdout.contains("USAGE: ctaudit audit"))
    }
}

extension Substring {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring { hasSuffix(suffix) ? dropLast(suffix.count) : self }
}
