import Conntrack
import Engines
import Foundation
import NodeState
import Policy
import Reports

/// A fixed audit for the report writer tests, with the port histogram and
/// duration that a live audit records (the one sample report of the golden
/// files), and helpers for external checkers (chromium, promtool, kubernetes-validate).
package enum ReportsFixtures {
    package static func report(
        host: String = "node-1", netns: String? = "ctlab-node", generatedAt: String = "2026-11-25T05:00:00Z",
        clean: Bool = false
    ) -> AuditReport {
        let policy = AuditPolicy(
            allowed: .defaultAllowed,
            podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16"), try! IPNetwork(parsing: "fd00:10:244::/48")]
        )
        var accumulator = AuditAccumulator(policy: policy, nowNanoseconds: 1_000_000_000_000)
        if !clean {
            accumulator.add(FlowFactory.flow(id: 11, sport: 40001, translatedPort: 1500))
            accumulator.add(FlowFactory.flow(id: 12, sport: 40002, translatedPort: 23310))
            accumulator.add(
                FlowFactory.flow(
                    id: 13, proto: .udp, pod: "10.244.0.4", sport: 1100, dport: 5353, translatedPort: 1100,
                    status: [.sourceNAT, .seenReply], timeout: 100))
            accumulator.add(
                FlowFactory.flow(
                    id: 14, pod: "fd00:10:244::3", sport: 40003, server: "2001:db8:2::10",
                    node: "2001:db8:1::2", translatedPort: 9000))
        }
        for index in 0..<40 {
            accumulator.add(
                FlowFactory.flow(
                    id: 100 + UInt32(index), sport: 33000 + UInt16(index),
                    translatedPort: 33000 + UInt16(index) * 700, status: [.sourceNAT, .seenReply, .assured]))
        }
        accumulator.add(FlowFactory.flow(id: 16, status: [.confirmed]))
        accumulator.setTableEntries(120)
        var dump = DumpResult()
        dump.kernelFiltered = true
        dump.flows = 45
        return AuditReport(
            host: host, netns: netns, generatedAt: generatedAt, policy: policy,
            summary: accumulator.summary, violations: accumulator.sortedViolations(), dump: dump,
            tableSize: TableSize(entries: 120, maximum: 262144),
            translatedPorts: accumulator.translatedPorts, durationSeconds: 0.25
        )
    }

    package static func temporaryDirectory(_ label: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Runs a checker program the tests lean on; tests skip when it is missing
/// (`make deps` installs them, so CI runs them).
package enum ExternalTool {
    package struct Result {
        package var status: Int32
        package var stdout: String
        package var stderr: String
    }

    package static func path(_ program: String) -> String? {
        // map(String.init): `split(...) + [literals]` type-checks as an array of
        // character arrays, which made every PATH entry a garbled path.
        let directories =
            (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
            + ["/usr/local/bin", "/usr/bin", "/usr/sbin"]
        for directory in directories {
            let candidate = "\(directory)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    package static func has(_ program: String) -> Bool { path(program) != nil }

    @discardableResult
    package static func run(_ program: String, _ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(program) ?? program)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        // Drain stderr on another thread so a chatty child cannot fill the pipe and stall.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}
