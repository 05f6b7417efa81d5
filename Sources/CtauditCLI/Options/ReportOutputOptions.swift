import ArgumentParser
import Engines
import FoundationEssentials
import Reports

/// The output flags of every subcommand that writes a report, the same
/// everywhere: `-o/--format` picks the format, `--output FILE` the file
/// (written atomically), `-q/--quiet` prints nothing on stdout.
struct ReportOutputOptions<Format: ReportFormat>: ParsableArguments {
    @Option(
        name: [.customShort("o"), .customLong("format")],
        help: ArgumentHelp(Format.formatHelp, valueName: "format"))
    var format: Format = .text

    @Option(
        name: .customLong("output"),
        help: ArgumentHelp(
            "Write the report to this file instead of stdout, atomically (temp file + rename); the file written is named on stderr.",
            valueName: "file"),
        completion: .file()
    )
    var output: String?

    @Flag(
        name: .shortAndLong,
        help: "Print nothing on stdout (nor which files were written): the exit code and the files tell; errors still go to stderr.")
    var quiet = false

    func validate() throws {
        try OutputPath.validate(output, option: "--output")
    }

    /// Sends a rendered report to --output or stdout (unless --quiet).
    func emit(_ text: String) throws {
        if let output {
            try AtomicFileWriter.write(text, to: output)
            wrote(output)
        } else if !quiet {
            Console.out(text)
        }
    }

    /// Like `emit`, for a writer that produces its text in chunks: stdout
    /// gets each chunk as it comes, so a large report is never held whole.
    func emit(chunks produce: ((String) -> Void) -> Void) throws {
        if output != nil {
            var text = ""
            produce { text += $0 }
            try emit(text)
        } else if !quiet {
            produce { Console.out($0) }
        }
    }

    /// Like `emit(chunks:)`, for a writer that produces UTF-8 bytes (each
    /// chunk valid only during the call): nothing converted to a String.
    func emit(byteChunks produce: ((UnsafeBufferPointer<UInt8>) -> Void) -> Void) throws {
        if let output {
            var bytes: [UInt8] = []
            produce { bytes.append(contentsOf: $0) }
            try AtomicFileWriter.write(bytes: &bytes, to: output)
            wrote(output)
        } else if !quiet {
            produce { Console.out(bytes: $0) }
        }
    }

    /// Colour only on a terminal, never in a file.
    var wantsColor: Bool { output == nil && Terminal.wantsColor }

    /// One line on stderr naming a file written, so a run with --output says
    /// where its report went (not with --quiet).
    func wrote(_ path: String, what: String? = nil) {
        if !quiet { Console.error("ctaudit: wrote \(what ?? "\(format.rawValue) report") to \(path)\n") }
    }
}
