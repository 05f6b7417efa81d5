import Foundation
import Glibc
import SystemPackage
import Testing
@testable import Conntrack

/// The one interrupt-retry helper, and that no layer keeps its own loop.
@Suite("SystemCall: one EINTR retry")
struct SystemCallTests {
    @Test("a call interrupted by a signal runs again; another errno ends it")
    func retriesOnlyInterrupts() {
        var calls = 0
        let result = SystemCall.retryingInterrupts { () -> Int32 in
            calls += 1
            if calls < 3 { errno = EINTR; return -1 }
            return 7
        }
        #expect(result == .success(7))
        #expect(calls == 3)
        calls = 0
        let failed = SystemCall.retryingInterrupts { () -> Int in
            calls += 1
            errno = EACCES
            return -1
        }
        #expect(failed == .failure(.permissionDenied))
        #expect(calls == 1)
    }

    /// A poll on a pipe with data is ready at once; on an empty pipe with a
    /// zero timeout it returns nothing ready (no time is measured here).
    @Test func pollReportsReadinessThroughTheHelper() {
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var entries = [pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)]
        #expect(SystemCall.poll(&entries, timeoutMilliseconds: 0) == .success(0))
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(SystemCall.poll(&entries, timeoutMilliseconds: 1000) == .success(1))
        #expect(entries[0].revents & Int16(POLLIN) != 0)
    }

    /// What `noHandRolledRetries` looks for: any spelling of the interrupt
    /// errno or a raw sleep in code (comments and string literals do not count).
    static func handRolledRetries(in source: String) -> [String] {
        var findings: [String] = []
        for (number, rawLine) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine)
            if let comment = line.range(of: "//") { line = String(line[..<comment.lowerBound]) }
            line = line.replacingOccurrences(of: #""(\\.|[^"\\])*""#, with: "\"\"", options: .regularExpression)
            let patterns = [#"\bEINTR\b"#, #"(Errno\.interrupted|[=(,:]\s*\.interrupted\b|case\s+\.interrupted\b)"#,
                            #"(^|[^.\w])(nanosleep|usleep|sleep)\("#, #"Errno\(rawValue:\s*4\)"#]
            for pattern in patterns where line.range(of: pattern, options: .regularExpression) != nil {
                findings.append("line \(number + 1): \(rawLine.trimmingCharacters(in: .whitespaces))")
            }
        }
        return findings
    }

    @Test("the scanner finds each spelling of a hand-rolled retry, and not comments or strings")
    func scannerFindsHandRolledRetries() {
        #expect(Self.handRolledRetries(in: "while read(fd, p, n) < 0 && errno == EINTR {}").count == 1)
        #expect(Self.handRolledRetries(in: "if error == .interrupted { continue }").count == 1)
        #expect(Self.handRolledRetries(in: "    usleep(100_000)").count == 1)
        #expect(Self.handRolledRetries(in: "guard Errno(rawValue: 4) != .x").count == 1)
        #expect(Self.handRolledRetries(in: "// EINTR is retried by SystemCall").isEmpty)
        #expect(Self.handRolledRetries(in: "let s = \"EINTR\"; SystemCall.sleep(nanoseconds: 1)").isEmpty)
        #expect(Self.handRolledRetries(in: "case .failure(.interrupted): continue").count == 1)
        // A dump's `interrupted` flag (NLM_F_DUMP_INTR) is not the errno.
        #expect(Self.handRolledRetries(in: "if report.dump.interrupted { warn() }").isEmpty)
    }

    /// Every target handles EINTR through SystemCall (retryingInterrupts,
    /// poll, sleep) or swift-system's FileDescriptor (which retries itself);
    /// Musl branches (never built) stay out too.
    @Test("no hand-rolled EINTR retry, raw sleep or Musl branch in Sources")
    func noHandRolledRetries() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var checked = 0
        for case let file as URL in files where file.pathExtension == "swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            checked += 1
            let name = file.path.replacingOccurrences(of: sources.path + "/", with: "")
            #expect(!text.contains("canImport(Musl)"), "\(name)")
            guard name != "Conntrack/System/SystemCall.swift" else { continue }
            for finding in Self.handRolledRetries(in: text) { Issue.record("\(name) \(finding)") }
        }
        #expect(checked > 100)
    }
}
