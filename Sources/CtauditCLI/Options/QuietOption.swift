import ArgumentParser

/// `--quiet`, the same flag wherever a command can print nothing on stdout.
struct QuietOption: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print nothing on stdout; only the exit code, the files written and errors on stderr tell.")
    var quiet = false
}
