import Conntrack
import Testing

@testable import NodeState

/// Rule listings come from child processes; their output obeys the same
/// limit policy as every file.
@Suite("ChildProcess: output is whole or refused")
struct ChildProcessTests {
    @Test func collectsStdoutStderrAndStatus() throws {
        let result = try ChildProcess.run("/bin/sh", ["-c", "printf out; printf err >&2; exit 3"])
        #expect(String(decoding: result.stdout, as: UTF8.self) == "out")
        #expect(String(decoding: result.stderr, as: UTF8.self) == "err")
        #expect(result.status == 3)
    }

    /// A child that never stops writing (`yes`) is stopped at the limit and
    /// its output is refused, not cut.
    @Test func endlessOutputIsStoppedAtTheLimit() {
        do {
            _ = try ChildProcess.run("/usr/bin/yes", [], limit: .bytes(100_000))
            Issue.record("endless output was accepted")
        } catch {
            guard case .outputTooLarge(.bytes(100_000)) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(error.description == "its output is larger than 100000 bytes")
        }
    }
}
