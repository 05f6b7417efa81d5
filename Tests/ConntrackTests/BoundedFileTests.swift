import Foundation
import Glibc
import SystemPackage
import Testing

@testable import Conntrack

/// The one bounded reader: a file whole, or a typed error; never a
/// shortened text, whatever the kind of file.
@Suite("BoundedFile: whole or a typed error")
struct BoundedFileTests {
    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bounded-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    @Test func readsARegularFileWhole() throws {
        let bytes = (0..<200_000).map { UInt8(truncatingIfNeeded: $0) }
        let path = try Self.temporaryFile(bytes)
        defer { unlink(path) }
        #expect(try BoundedFile.read(path, limit: .nodeFile) == bytes)
    }

    @Test func aFileAtTheLimitIsReadAndOneByteMoreIsRefused() throws {
        let path = try Self.temporaryFile([UInt8](repeating: 0x41, count: 4096))
        defer { unlink(path) }
        #expect(try BoundedFile.read(path, limit: .bytes(4096)).count == 4096)
        #expect(throws: FileReadError(path: path, kind: .tooLarge(.bytes(4095)))) {
            try BoundedFile.read(path, limit: .bytes(4095))
        }
    }

    /// A pipe reports no size: the limit is enforced while reading, and the
    /// read fails instead of returning the first `limit` bytes.
    @Test func aPipePastTheLimitFailsInsteadOfTruncating() throws {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        let payload = [UInt8](repeating: 0x42, count: 10_000)
        let written = payload.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        #expect(written == payload.count)
        close(fds[1])
        let reader = FileDescriptor(rawValue: fds[0])
        defer { try? reader.close() }
        #expect(throws: FileReadError(path: "pipe", kind: .tooLarge(.bytes(9_999)))) {
            try BoundedFile.read(reader, name: "pipe", limit: .bytes(9_999))
        }
    }

    @Test func directoriesDevicesAndMissingFilesHaveTheirOwnKind() {
        #expect(throws: FileReadError(path: "/", kind: .isDirectory)) { try BoundedFile.read("/", limit: .nodeFile) }
        #expect(throws: FileReadError(path: "/dev/zero", kind: .isDevice)) { try BoundedFile.read("/dev/zero", limit: .nodeFile) }
        #expect(throws: FileReadError(path: "/nonexistent/x", kind: .notFound)) {
            try BoundedFile.read("/nonexistent/x", limit: .nodeFile)
        }
    }

    /// procfs files report size 0 and are read to their end.
    @Test func procfsFilesAreReadWhole() throws {
        let text = try BoundedFile.text("/proc/self/status", limit: .kernelFile)
        #expect(text.contains("Name:") && text.contains("VmRSS") || text.contains("Pid:"))
    }

    @Test func reasonsReadAsOneLine() {
        #expect(FileReadError(path: "p", kind: .tooLarge(.nodeFile)).description == "p: larger than 16 MiB; is it the right file?")
        #expect(FileReadError(path: "p", kind: .tooLarge(.bytes(100))).reason == "larger than 100 bytes; is it the right file?")
        #expect(FileReadError(path: "p", kind: .isDevice).description == "p: is a device, not a file")
    }
}
