import Foundation

/// The seed of a random test: `CTAUDIT_TEST_SEED` (decimal or 0x-hex) when
/// set, else the test's own fixed default, so every run is the same run
/// unless asked otherwise. Every failure comment of a random test carries
/// `TestSeed.describe(seed)`, which says how to replay it.
package enum TestSeed {
    package static let variable = "CTAUDIT_TEST_SEED"

    package static func value(default fallback: UInt64) -> UInt64 {
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return fallback }
        guard let seed = parse(text) else {
            preconditionFailure("\(variable)=\(text): not a decimal or 0x-hex 64-bit seed")
        }
        return seed
    }

    /// "seed 0x…" and the command line that replays it.
    package static func describe(_ seed: UInt64) -> String {
        "seed 0x\(String(seed, radix: 16)) (replay: \(variable)=0x\(String(seed, radix: 16)) swift test --filter …)"
    }

    static func parse(_ text: String) -> UInt64? {
        let lowered = text.lowercased()
        if lowered.hasPrefix("0x") { return UInt64(lowered.dropFirst(2), radix: 16) }
        return UInt64(lowered)
    }
}
