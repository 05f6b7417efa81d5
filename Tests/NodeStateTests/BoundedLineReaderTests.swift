import Foundation
import NodeState
import Testing

/// `who --from-log`'s reader: line by line, long lines cut, a bound on lines, all said.
@Suite struct BoundedLineReaderTests {
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func linesCutAndCounted() throws {
        let path = try Self.file("one\n" + String(repeating: "x", count: 100) + "\nlast without newline")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines: [String] = []
        let outcome = try BoundedLineReader(maximumLineBytes: 10).read(path) { lines.append(String($0)) }
        #expect(lines == ["one", String(repeating: "x", count: 10), "last witho"])
        #expect(outcome.lines == 3)
        #expect(outcome.cutLines == 2)
        #expect(!outcome.stoppedAtLimit)
    }

    @Test func stopsAtTheLineBound() throws {
        let path = try Self.file((1...10).map(String.init).joined(separator: "\n") + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines: [String] = []
        let outcome = try BoundedLineReader(maximumLines: 4).read(path) { lines.append(String($0)) }
        #expect(lines == ["1", "2", "3", "4"])
        #expect(outcome.stoppedAtLimit)
        #expect(throws: InputFileError.self) { try BoundedLineReader().read("/nonexistent/log") { _ in } }
    }
}
