import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// The one golden-file helper. A mismatch records the unified diff and
/// leaves the new text in `.build/golden-actual/NAME`, where
/// `scripts/update-goldens.sh` picks it up after an intended change: the
/// tests themselves never write a golden file, so they can always fail.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let actualDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/golden-actual")

    static func expectMatches(_ name: String, _ actual: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let url = directory.appendingPathComponent(name)
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            keepActual(name, actual)
            Issue.record(
                Comment(rawValue: "Golden/\(name) is missing; scripts/update-goldens.sh creates it"),
                sourceLocation: sourceLocation)
            return
        }
        guard expected != actual else { return }
        let kept = keepActual(name, actual)
        let message =
            "Golden/\(name) differs (new text in \(kept.path); scripts/update-goldens.sh takes it if intended):\n"
            + diff(url, kept)
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }

    @discardableResult
    private static func keepActual(_ name: String, _ actual: String) -> URL {
        let url = actualDirectory.appendingPathComponent(name)
        try? FileManager.default.createDirectory(at: actualDirectory, withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// `diff -u`, cut to the first 80 lines.
    private static func diff(_ expected: URL, _ actual: URL) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", expected.path, actual.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "(diff not available)" }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        return lines.prefix(80).joined(separator: "\n") + (lines.count > 80 ? "\n… \(lines.count - 80) more lines" : "")
    }
}
