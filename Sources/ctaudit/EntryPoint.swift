import ArgumentParser
import Conntrack
import ConntrackAudit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Parses, runs, and turns every failure into one line on stderr and a
/// documented exit code (never a stack trace, never the parser's 64).
@main
enum EntryPoint {
    static func main() {
        var command: any ParsableCommand
        do {
            command = try CTAudit.parseAsRoot()
        } catch {
            // --help and --version are "errors" with exit code 0.
            if CTAudit.exitCode(for: error) == .success { CTAudit.exit(withError: error) }
            fail("\(CTAudit.message(for: error)) (see 'ctaudit --help')", .usage)
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

    static func fail(_ message: String, _ status: ExitStatus) -> Never {
        let line = "ctaudit: " + message.split(separator: "\n").joined(separator: " ") + "\n"
        Console.error(line)
        exit(status.rawValue)
    }
}
