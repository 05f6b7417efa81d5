import Foundation

/// `ctaudit watch` running in the background for a test: started, waited on
/// until it has subscribed (it says so on stderr with -v), then stopped with
/// SIGINT or left to end on --duration.
final class WatchProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Shell.ctauditBinary)
        process.arguments = ["watch", "-v"] + arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        stdout.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.out.append(data) }
        }
        stderr.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.lock.withLock { self?.err.append(data) }
        }
        try process.run()
    }

    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    /// Waits until the watch has subscribed to events (or fails after `timeout`).
    func waitUntilWatching(timeout: TimeInterval = 20) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if stderr.contains("watching conntrack events") { return }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Shell.Failure(command: "ctaudit watch", status: process.isRunning ? -1 : process.terminationStatus, stderr: stderr)
    }

    /// Sends SIGINT (like Ctrl-C) and waits for the summary and exit.
    @discardableResult
    func interrupt() -> Int32 {
        process.interrupt()
        return wait()
    }

    /// Waits for the exit; after `timeout` the process is killed (so a hung
    /// watch fails the test instead of hanging the run) and -9 returned.
    @discardableResult
    func wait(timeout: TimeInterval = 60) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -9
        }
        process.waitUntilExit()
        // Let the readability handlers deliver the last bytes.
        Thread.sleep(forTimeInterval: 0.2)
        return process.terminationStatus
    }

    /// The ndjson lines as dictionaries.
    var records: [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    var summary: [String: Any]? { records.last { $0["event"] as? String == "summary" } }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// Identifies a flow the same way in ctaudit's JSON and conntrack(8)'s text.
struct WatchFlowKey: Hashable, CustomStringConvertible {
    var proto: String
    var source: String
    var sourcePort: Int
    var destination: String
    var destinationPort: Int
    var translatedPort: Int

    var description: String { "\(proto) \(source):\(sourcePort) -> \(destination):\(destinationPort) via :\(translatedPort)" }

    init?(record: [String: Any]) {
        guard let proto = record["proto"] as? String,
            let original = record["original"] as? [String: Any],
            let translated = record["translated"] as? [String: Any],
            let source = original["src"] as? String, let sport = original["sport"] as? Int,
            let destination = original["dst"] as? String, let dport = original["dport"] as? Int,
            let tport = translated["sport"] as? Int
        else { return nil }
        self.proto = proto
        self.source = source
        self.sourcePort = sport
        self.destination = destination
        self.destinationPort = dport
        self.translatedPort = tport
    }

    init?(entry: ConntrackCLIEntry) {
        guard let source = entry.original["src"], let destination = entry.original["dst"],
            let sport = entry.originalSourcePort, let dport = entry.original["dport"].flatMap(Int.init),
            let tport = entry.translatedPort
        else { return nil }
        self.proto = entry.proto
        self.source = source
        self.sourcePort = sport
        self.destination = destination
        self.destinationPort = dport
        self.translatedPort = tport
    }
}
