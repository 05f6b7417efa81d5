import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Reports: atomic file writer")
struct ReportsAtomicFileWriterTests {
    static func entries(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test func writesReplacesAndLeavesNoTemporaryFile() throws {
        let directory = try ReportsFixtures.temporaryDirectory("atomic")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ctaudit.prom").path
        try AtomicFileWriter.write("first\n", to: path)
        try AtomicFileWriter.write("second\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
        #expect(try Self.entries(directory) == ["ctaudit.prom"])
    }

    @Test func modeIs0644MinusUmask() throws {
        let directory = try ReportsFixtures.temporaryDirectory("atomic-mode")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("report.html").path
        let old = umask(0o027)
        defer { umask(old) }
        try AtomicFileWriter.write("x", to: path)
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o640)
    }

    @Test func replacesASymlinkInsteadOfWritingThroughIt() throws {
        let directory = try ReportsFixtures.temporaryDirectory("atomic-link")
        defer { try? FileManager.default.removeItem(at: directory) }
        let victim = directory.appendingPathComponent("victim").path
        try "keep me".write(toFile: victim, atomically: false, encoding: .utf8)
        let link = directory.appendingPathComponent("ctaudit.prom").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        try AtomicFileWriter.write("metrics\n", to: link)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        #expect(try String(contentsOfFile: link, encoding: .utf8) == "metrics\n")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil)
    }

    @Test func failureLeavesTheOldFileAndNoTemporary() throws {
        let directory = try ReportsFixtures.temporaryDirectory("atomic-fail")
        defer { try? FileManager.default.removeItem(at: directory) }
        // A directory where the file should be: rename fails after the data is written.
        let target = directory.appendingPathComponent("report.html")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try "inside".write(to: target.appendingPathComponent("keep"), atomically: false, encoding: .utf8)
        #expect(throws: FileWriteError.self) { try AtomicFileWriter.write("x", to: target.path) }
        #expect(try Self.entries(directory) == ["report.html"])
        #expect(try Self.entries(target) == ["keep"])
        // A missing directory: nothing created anywhere, a one-line error naming the path.
        let missing = directory.appendingPathComponent("nope/ctaudit.prom").path
        do {
            try AtomicFileWriter.write("x", to: missing)
            Issue.record("writing into a missing directory succeeded")
        } catch {
            #expect(error.description.contains(missing))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func readersSeeOnlyWholeFiles() throws {
        let directory = try ReportsFixtures.temporaryDirectory("atomic-race")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ctaudit.prom").path
        let versions = (0..<2).map { String(repeating: "\($0)", count: 256 * 1024) }
        try AtomicFileWriter.write(versions[0], to: path)
        /// Shared with the reader thread; the lock orders the accesses.
        final class Race: @unchecked Sendable {
            let lock = NSLock()
            var torn = 0
            var done = false
            func finished() -> Bool { lock.withLock { done } }
        }
        let race = Race()
        let reader = Thread {
            while !race.finished() {
                if let text = try? String(contentsOfFile: path, encoding: .utf8), !versions.contains(text) {
                    race.lock.withLock { race.torn += 1 }
                }
            }
        }
        reader.start()
        for round in 0..<60 { try AtomicFileWriter.write(versions[round % 2], to: path) }
        race.lock.withLock { race.done = true }
        while !reader.isFinished { usleep(1000) }
        #expect(race.lock.withLock { race.torn } == 0, "a reader saw a partial file")
        #expect(try Self.entries(directory) == ["ctaudit.prom"])
    }

    @Test(arguments: [("a/b/c.prom", "a/b", "c.prom"), ("c.prom", ".", "c.prom"), ("/c.prom", "/", "c.prom"), ("/x/", "/x", "")])
    func splitsPaths(path: String, directory: String, name: String) {
        let parts = AtomicFileWriter.split(path)
        #expect(parts.directory == directory && parts.name == name)
    }
}
