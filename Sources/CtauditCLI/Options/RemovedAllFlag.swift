import ArgumentParser

/// `--all` meant "also node-local flows" in audit and "every remap" in
/// watch. It is gone (CHANGELOG.md, 0.2.0); given, it says what replaced it
/// in that command instead of "unknown option".
struct RemovedAllFlag: ParsableArguments {
    @Flag(name: .customLong("all"), help: ArgumentHelp("Removed in 0.2.0.", visibility: .private))
    var all = false

    func validate(replacement: String) throws {
        if all { throw ValidationError("--all is gone (it meant different things in audit and watch): use \(replacement) (CHANGELOG.md)") }
    }
}
