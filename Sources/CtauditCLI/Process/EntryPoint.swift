import ArgumentParser
import Conntrack
import Glibc

/// Parses, runs, and turns every failure into one line on stderr and a
/// documented exit code (never a stack trace, never the parser's 64).

public enum EntryPoint {
    public static func main() {
        // A non-root ctaudit (the container image runs as uid 65532) holds
        // its file capabilities in the permitted set only; make them usable
        // before any thread exists (they are per thread). Root: nothing to do.
        if geteuid() != 0 { ProcessCapabilities.adoptPermitted() }
        var command: any ParsableCommand
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let unknown = unknownHelpTopic(arguments) {
            fail("no command '\(unknown)' (commands: \(subcommandNames.joined(separator: ", "))) (see 'ctaudit --help')", .usage)
        }
        do {
            command = try CTAudit.parseAsRoot()
        } catch {
            // --help and --version are "errors" with exit code 0.
            if CTAudit.exitCode(for: error) == .success { CTAudit.exit(withError: error) }
            var message = CTAudit.message(for: error)
            let hint = migrationHint(arguments)
            if !hint.isEmpty && message.hasSuffix(".") { message.removeLast() }
            fail("\(message)\(hint) (see '\(helpCommand(CommandLine.arguments))')", .usage)
        }
        do {
            try command.run()
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            // `ctaudit --help` parses to ArgumentParser's HelpCommand, whose run() throws the help request.
            if CTAudit.exitCode(for: error) == .success { CTAudit.exit(withError: error) }
            fail(String(describing: error), ExitStatus.of(error))
        }
        exit(ExitStatus.clean.rawValue)
    }

    static var subcommandNames: [String] {
        CTAudit.configuration.subcommands.compactMap { $0.configuration.commandName }
    }

    /// `ctaudit help nope`: argument-parser prints the root help and exits 0
    /// for a topic it does not know; a typo in a script must fail (exit 2).
    static func unknownHelpTopic(_ arguments: [String]) -> String? {
        guard arguments.first == "help", arguments.count >= 2 else { return nil }
        let topic = arguments[1]
        return topic.hasPrefix("-") || subcommandNames.contains(topic) ? nil : topic
    }

    /// `-o FILE` wrote the report to FILE before 0.2.0; now `-o` picks the
    /// format (as in conntrack and kubectl). Someone who typed the old
    /// spelling learns the new one.
    static func migrationHint(_ arguments: [String]) -> String {
        guard let index = arguments.firstIndex(where: { $0 == "-o" || $0 == "--format" }), index + 1 < arguments.count else { return "" }
        let value = arguments[index + 1]
        guard value.contains("/") || value.contains(".") else { return "" }
        return "; -o picks the format now (as in kubectl and conntrack): write the file with --output \(value)"
    }

    /// `ctaudit check --help` for a mistake in `ctaudit check ...`; audit's
    /// when the first argument is an option (audit is the default command).
    static func helpCommand(_ arguments: [String]) -> String {
        let names = subcommandNames
        guard let first = arguments.dropFirst().first else { return "ctaudit --help" }
        if names.contains(first) { return "ctaudit \(first) --help" }
        if first.hasPrefix("-") { return "ctaudit audit --help" }
        return "ctaudit --help"
    }

    static func fail(_ message: String, _ status: ExitStatus) -> Never {
        Console.error("ctaudit: " + oneLine(message) + "\n")
        exit(status.rawValue)
    }

    /// One line, safe for a terminal: messages quote bytes from hostile files
    /// (an ELF header, escape sequences), so control characters are shown as
    /// \u{..} instead of being sent to the terminal.
    static func oneLine(_ message: String) -> String {
        var line = ""
        for scalar in message.split(separator: "\n").joined(separator: " ").unicodeScalars {
            switch scalar.value {
            case 0x09: line += " "
            case 0..<0x20, 0x7f..<0xa0: line += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: line.unicodeScalars.append(scalar)
            }
        }
        return line
    }
}
