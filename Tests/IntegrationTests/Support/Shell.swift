import Foundation

/// Runs helper programs for integration tests (ip, iptables, conntrack,
/// scripts/lab.sh). Test support only: the product never shells out.
enum Shell {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The package root (where Package.swift is), from this file's path.
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// The built ctaudit executable (swift build puts it next to the test bundle).
    static var ctauditBinary: String {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("ctaudit").path,
            packageRoot.appendingPathComponent(".build/debug/ctaudit").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// Whether a program is on PATH.
    static func has(_ program: String) -> Bool {
        (try? run("/bin/sh", ["-c", "command -v \(program)"]).status) == 0
    }

    /// Runs a program and waits for it. Output goes through temporary files,
    /// not pipes: a daemon the child starts (the lab's server) may inherit a
    /// pipe and hold it open forever, and Foundation's Process has been seen
    /// never reaping a child here. posix_spawn + waitpid has neither problem.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("out").path
        let errPath = directory.appendingPathComponent("err").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let variables = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        // Test runner threads block signals such as SIGTERM, and a child
        // inherits that mask: reset it, or a daemon the child starts (the lab's
        // server) could never be stopped.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw Failure(command: executable, status: -1, stderr: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(
            status: exitStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        )
    }

    /// Runs a command line through bash and throws when it fails.
    @discardableResult
    static func sh(_ command: String) throws -> Result {
        let result = try run("/bin/bash", ["-c", command])
        guard result.status == 0 else {
            throw Failure(command: command, status: result.status, stderr: result.stderr)
        }
        return result
    }

    struct Failure: Error, CustomStringConvertible {
        var command: String
        var status: Int32
        var stderr: String
        var description: String { "`\(command)` exited \(status): \(stderr)" }
    }
}
