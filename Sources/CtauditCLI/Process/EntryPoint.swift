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
        do {
            command = try CTAudit.parseAsRoot()
        } catch {
            // --help and --version are "errors" with exit code 0.
            if CTAudit.exitCode(for: error) == .success { CTAudit.exit(withError: error) }
            fail("\(CTAudit.message(for: error)) (see '\(helpCommand(CommandLine.arguments))')", .usage)
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

    /// `ctaudit check --help` for a mistake in `ctaudit check ...`; audit's
    /// when the first argument is an option (audit is the default command).
    static func helpCommand(_ arguments: [String]) -> String {
        let names = CTAudit.configuration.subcommands.compactMap { $0.configuration.commandName }
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
