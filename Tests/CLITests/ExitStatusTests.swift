import ArgumentParser
import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports
import Testing

@testable import CtauditCLI

/// Every error type a library can let reach the top has one documented code,
/// decided in ExitStatus.of and nowhere else.
@Suite("Exit status: one exhaustive mapping")
struct ExitStatusTests {
    static let jsonParseError: any Error = {
        do { _ = try JSONDocument(parsing: Array("{".utf8)) } catch { return error }
        return ValidationError("parsed")
    }()

    @Test(arguments: [
        (ValidationError("x") as any Error, CtauditCLI.ExitStatus.usage),
        (PolicyError.invalidPortRange("x", reason: "r"), .usage),
        (PolicyLayers.Conflict.allowedAndProfile, .usage),
        (ConfigError(path: "c", line: 1, message: "m"), .usage),
        (CheckInputError(origin: "o", reason: "r"), .usage),
        (FirewallFileError(path: "f", message: "m"), .usage),
        (InputFileError(path: "p", reason: "r"), .usage),
        (FileReadError(path: "p", kind: .tooLarge(.nodeFile)), .usage),
        (Self.jsonParseError, .usage),
        (CheckEnvironmentError("no nft"), .environment),
        (BPFError.notFound(path: "p"), .environment),
        (DecodeError.truncated(what: "t", needed: 4, available: 2), .environment),
        (WatchError.system("poll", 5), .environment),
        (FileWriteError(path: "p", operation: "write", errno: 28), .environment),
        (ConntrackError.invalidNamespaceName("a/b"), .usage),
        (Endpoint.ParseError(text: "x", reason: "r"), .usage),
        (CaptureError(path: "p", reason: "r"), .usage),
        (ConntrackError.permissionDenied(operation: "dump"), .environment),
        (ConntrackError.namespaceNotFound("/run/netns/x"), .environment),
    ])
    func eachErrorHasItsCode(error: any Error, status: CtauditCLI.ExitStatus) {
        #expect(CtauditCLI.ExitStatus.of(error) == status, "\(error)")
    }

    @Test func theCodesAreTheDocumentedOnes() {
        // 4: uncertain (a --firewall rule ctaudit cannot judge decides; docs/FIREWALL.md).
        #expect(CtauditCLI.ExitStatus.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
    }

    /// Every `Error` type declared public or package in Sources is named in
    /// ExitStatus.swift, so a new error cannot fall to "environment" unseen.
    @Test func everyLibraryErrorTypeIsMapped() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Sources")
        let mapping = try String(contentsOf: sources.appendingPathComponent("CtauditCLI/Process/ExitStatus.swift"), encoding: .utf8)
        let files = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        let declaration = #/(public|package)\s+(?:indirect\s+)?(struct|enum|final class|class)\s+(\w+)\s*:\s*([^{]*)\{/#
        var found: [String] = []
        for case let file as URL in files where file.pathExtension == "swift" && !file.path.contains("/ConntrackFuzz/") {
            let text = try String(contentsOf: file, encoding: .utf8)
            var enclosing: String?
            let topLevel = #/^(?:public |package )?(?:indirect\s+)?(?:struct|enum|final class|class|extension)\s+(\w+)/#
            for line in text.split(separator: "\n") {
                if let top = line.firstMatch(of: topLevel) { enclosing = String(top.output.1) }
                guard let match = line.firstMatch(of: declaration) else { continue }
                let conformances = match.output.4.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                guard conformances.contains("Error") else { continue }
                let name = String(match.output.3)
                let qualified = line.hasPrefix(" ") ? "\(enclosing ?? "").\(name)" : name
                found.append(qualified)
                #expect(
                    mapping.contains("is \(qualified):") || mapping.contains("as \(qualified):"),
                    "\(qualified) (\(file.lastPathComponent)) has no exit status in ExitStatus.of")
            }
        }
        #expect(found.count >= 15, "\(found)")
    }
}
