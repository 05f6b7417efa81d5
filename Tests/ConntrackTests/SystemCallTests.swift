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

    /// Hand-rolled `errno == EINTR` retries and Musl branches (never built)
    /// stay out of every target: SystemCall.retryingInterrupts or
    /// swift-system's FileDescriptor (which retries itself) do it.
    @Test("no hand-rolled EINTR retry loop or Musl branch in Sources")
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
            for pattern in ["EINTR { continue }", "errno == EINTR {}", "EINTR { continue"] where name != "Conntrack/SystemCall.swift" {
                #expect(!text.contains(pattern), "\(name): \(pattern)")
            }
        }
        #expect(checked > 100)
    }
}
