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
            if calls < 3 {
                errno = EINTR
                return -1
            }
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
        defer {
            close(fds[0])
            close(fds[1])
        }
        var entries = [pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)]
        #expect(SystemCall.poll(&entries, timeoutMilliseconds: 0) == .success(0))
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        #expect(SystemCall.poll(&entries, timeoutMilliseconds: 1000) == .success(1))
        #expect(entries[0].revents & Int16(POLLIN) != 0)
    }

    static func handRolledRetries(in source: String) -> [String] {
        HandRolledRetryScanner(source).findings()
    }

    @Test("the scanner finds each spelling of a hand-rolled retry, and not comments or strings")
    func scannerFindsHandRolledRetries() {
        #expect(Self.handRolledRetries(in: "while read(fd, p, n) < 0 && errno == EINTR {}").count == 2)
        #expect(Self.handRolledRetries(in: "if error == .interrupted { continue }").count == 1)
        #expect(Self.handRolledRetries(in: "    usleep(100_000)").count == 1)
        #expect(Self.handRolledRetries(in: "guard Errno(rawValue: 4) != .x").count == 1)
        #expect(Self.handRolledRetries(in: "// EINTR is retried by SystemCall").isEmpty)
        #expect(Self.handRolledRetries(in: "let s = \"EINTR\"; SystemCall.sleep(nanoseconds: 1)").isEmpty)
        #expect(Self.handRolledRetries(in: "case .failure(.interrupted): continue").count == 1)
        #expect(Self.handRolledRetries(in: "switch e { case .interrupted, .wouldBlock: break }").count == 1)
        #expect(Self.handRolledRetries(in: "if e == Errno.interrupted {}").count == 1)
        // A dump's `interrupted` flag (NLM_F_DUMP_INTR) is not the errno.
        #expect(Self.handRolledRetries(in: "if report.dump.interrupted { warn() }").isEmpty)
        // Block comments (nested) and multi-line or raw strings hide nothing and fake nothing.
        #expect(Self.handRolledRetries(in: "/* EINTR /* nested */ usleep(1) */ let x = 1").isEmpty)
        #expect(Self.handRolledRetries(in: "let doc = \"\"\"\n  while errno == EINTR {}\n  \"\"\"\nlet y = 2").isEmpty)
        #expect(Self.handRolledRetries(in: "let raw = #\"a \" EINTR\"#").isEmpty)
        #expect(Self.handRolledRetries(in: "/* a comment */ if x == EINTR {}") == ["line 1: EINTR"])
        // A loop that reads the C errno retries, whatever errno it compares with.
        #expect(
            Self.handRolledRetries(in: "var rc = read(fd, p, n)\nwhile rc < 0 && Glibc.errno == EAGAIN {\n  rc = read(fd, p, n)\n}") == [
                "line 2: errno read inside a loop"
            ])
        #expect(
            Self.handRolledRetries(in: "repeat {\n  rc = accept(fd, nil, nil)\n} while rc < 0 && errno != EBADF") == [
                "line 3: errno read inside a loop"
            ])
        #expect(
            Self.handRolledRetries(in: "while true {\n  if read(fd, p, n) < 0 && errno == EAGAIN { continue }\n  break\n}") == [
                "line 2: errno read inside a loop"
            ])
        // ... but not one errno read after a call, a loop that reads it only to throw, nor a Result's bound errno.
        #expect(Self.handRolledRetries(in: "if rc < 0 { throw .from(Errno(rawValue: errno)) }").isEmpty)
        #expect(Self.handRolledRetries(in: "for g in gs {\n  if join(g) != 0 { throw .from(Errno(rawValue: Glibc.errno)) }\n}").isEmpty)
        #expect(Self.handRolledRetries(in: "for x in xs {\n  if case .failure(let errno) = call() { throw errno }\n}").isEmpty)
        #expect(Self.handRolledRetries(in: "func run(for name: String) { f() }\nlet e = Glibc.errno").isEmpty)
    }

    /// Loops that read errno and go round again for another reason than an
    /// interrupt, each with that reason; only the loop finding is excused.
    static let notInterruptRetries: [String: String] = [
        // ENOSPC: one hash bucket holds more entries than the buffer, which grows before the same batch is asked again.
        "Conntrack/BPF/BPFMap.swift": "errno read inside a loop"
    ]

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
            for finding in Self.handRolledRetries(in: text) {
                if let excused = Self.notInterruptRetries[name], finding.hasSuffix(": \(excused)") { continue }
                Issue.record("\(name) \(finding)")
            }
        }
        #expect(checked > 100)
    }
}
