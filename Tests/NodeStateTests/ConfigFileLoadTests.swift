import Conntrack
import Foundation
import TestSupport
import Testing

@testable import NodeState
@testable import Policy

/// Reading a config file from disk (parsing is PolicyTests' ConfigFileTests).
@Suite("Config file: loading")
struct ConfigFileLoadTests {
    @Test func loadReadsFilesAndReportsMissingOnes() throws {
        let directory = try ReportsFixtures.temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config.yaml").path
        try "profile: office-acl\nprofiles:\n  office-acl:\n    allow: 1024-2047,32768-65535\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(try ConfigFile.load(path: path).profileName == "office-acl")
        #expect(throws: ConfigError.self) { try ConfigFile.load(path: directory.appendingPathComponent("missing.yaml").path) }
    }

    @Test func shippedExampleConfigIsValid() throws {
        let root = TestFixtures.repositoryRoot
        let path = root.appendingPathComponent("deploy/config.yaml").path
        let config = try ConfigFile.load(path: path)
        #expect(config.profile(named: config.profileName ?? "hetzner-robot") != nil)
    }

    @Test func aDirectoryOrAHugeFileIsRefusedWithTheReaderReason() throws {
        let directory = try ReportsFixtures.temporaryDirectory("config-big")
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: ConfigError(path: directory.path, line: nil, message: "is a directory")) {
            try ConfigFile.load(path: directory.path)
        }
        let huge = directory.appendingPathComponent("huge.yaml").path
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: huge))
        try handle.truncate(atOffset: UInt64(BoundedFile.Limit.nodeFile.bytes + 1))
        try handle.close()
        #expect(throws: ConfigError(path: huge, line: nil, message: "larger than 16 MiB; is it the right file?")) {
            try ConfigFile.load(path: huge)
        }
    }
}
