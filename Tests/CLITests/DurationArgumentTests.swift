import Testing

@testable import CtauditCLI

/// `--check-interval`'s durations: seconds, or with a unit.
@Suite("CLI: durations")
struct DurationArgumentTests {
    @Test(arguments: [("300", 300.0), ("1.5", 1.5), ("30s", 30), ("5m", 300), ("1h", 3600), ("500ms", 0.5), ("0", 0)])
    func accepted(text: String, seconds: Double) {
        #expect(DurationArgument(argument: text)?.seconds == seconds)
    }

    @Test(arguments: ["", "s", "5 m", "-1s", "1d", "five", "1e3"])
    func refused(text: String) {
        #expect(DurationArgument(argument: text) == nil)
    }

    @Test func helpShowsTheDefaultAsWritten() {
        #expect(DurationArgument(seconds: 300).description == "5m")
        #expect(DurationArgument(seconds: 30).description == "30s")
        #expect(DurationArgument(seconds: 1.5).description == "1.5s")
    }
}
