import Foundation
import Testing

/// Bad flags and hostile files through the real binary: each is refused with
/// exit 2 (usage/input) or 3 (environment), exactly one line on stderr that
/// names what was wrong, nothing on stdout, and no output file left behind.
/// None of these reach the kernel, so they run without root.
@Suite("Hostile input (binary)")
struct HostileInputTests {
    /// Files a careless or hostile operator could hand ctaudit, made for each
    /// test case in a directory of its own. Cases name them as @empty, @binary...
    struct Files {
        let directory: String
        static let names = ["empty", "binary", "huge", "dir", "fifo", "escapes", "wrong.json", "bad.yaml"]

        init() throws {
            directory = NSTemporaryDirectory() + "ctaudit-hostile-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory + "/dir", withIntermediateDirectories: true)
            func make(_ name: String, _ bytes: [UInt8]) {
                _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes))
            }
            make("empty", [])
            make("binary", (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131) })
            make("escapes", Array("\u{1b}]0;owned\u{7}\u{1b}[2J\rpwned\n".utf8))
            make("wrong.json", Array(#"{"schema":"something/v9","x":[1,2,3]}"#.utf8))
            make("bad.yaml", Array("allow: 5-1\n".utf8))
            make("huge", [])
            truncate(directory + "/huge", 200 << 20)  // 200 MiB, sparse: above every input limit
            mkfifo(directory + "/fifo", 0o600)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }

        /// Replaces @name with the file's path.
        func resolve(_ text: String) -> String {
            var text = text
            for name in Self.names { text = text.replacingOccurrences(of: "@" + name, with: directory + "/" + name) }
            return text
        }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var status: Int32
        /// Must appear in the one stderr line.
        var names: String
        var testDescription: String { arguments.joined(separator: " ") }
        init(_ arguments: [String], _ status: Int32, _ names: String) {
            self.arguments = arguments
            self.status = status
            self.names = names
        }
    }

    static var cases: [Case] {
        [
            // Ranges, CIDRs, numbers.
            Case(["audit", "--allow", "70000-80000"], 2, "70000 is above 65535"),
            Case(["audit", "--allow", "10-5"], 2, "reversed range"),
            Case(["audit", "--allow", ""], 2, "--allow"),
            Case(["audit", "--allow", "1-2,,3"], 2, "--allow"),
            Case(["audit", "--allow", "-1"], 2, "--allow"),
            Case(["audit", "--pod-cidr", "10.0.0.0/33"], 2, "prefix length must be 0-32"),
            Case(["audit", "--pod-cidr", "fd00::/129"], 2, "prefix length must be 0-128"),
            Case(["audit", "--pod-cidr", "300.1.1.1/8"], 2, "300.1.1.1/8"),
            Case(["audit", "--exclude-dst", "10.0.0.0/x"], 2, "10.0.0.0/x"),
            Case(["audit", "--max-violations=-1"], 2, "--max-violations"),
            Case(["audit", "--format", "xml"], 2, "xml"),
            Case(["stats", "--top=-1"], 2, "--top"),
            Case(["watch", "--duration", "0"], 2, "--duration"),
            Case(["watch", "--duration", "nan"], 2, "--duration"),
            Case(["watch", "--count=-5"], 2, "--count"),
            Case(["watch", "--receive-buffer", "3X"], 2, "invalid size '3X'"),
            Case(["check", "--port-range", "5-1"], 2, "reversed range"),
            Case(["check", "--port-range", "0-70000"], 2, "70000"),
            Case(["bogus"], 2, "bogus"),
            // Namespace names and paths.
            Case(["audit", "--netns", ""], 2, "invalid network namespace name ''"),
            Case(["audit", "--netns", ".."], 2, "invalid network namespace name '..'"),
            Case(["audit", "--netns", "/tmp/../etc/passwd"], 3, "not a network namespace: /tmp/../etc/passwd"),
            // A name, PID or path that does not exist is a typing mistake (issue 12): exit 2.
            Case(["audit", "--netns", "no-such-ns-\(getpid())"], 2, "no network namespace of that name in /run/netns"),
            Case(["audit", "--netns", "2147483647"], 2, "--netns 2147483647: no process with that id"),
            Case(["audit", "--netns", "@fifo"], 3, "not a network namespace: @fifo"),
            Case(["stats", "--netns", "@dir/../nope/net"], 2, "no such file"),
            Case(["check", "--netns", "x", "--iptables-save", "@empty"], 2, "--netns reads live rules"),
            // --config: missing, a directory, binary, huge, a device, bad values.
            Case(["audit", "--config", "@dir/../nope.yaml"], 2, "nope.yaml: no such file"),
            Case(["audit", "--config", "@dir"], 2, "@dir: is a directory"),
            Case(["audit", "--config", "@binary"], 2, "@binary: not UTF-8 text"),
            Case(["audit", "--config", "@huge"], 2, "@huge: larger than 16 MiB"),
            Case(["audit", "--config", "/dev/zero"], 2, "/dev/zero"),
            Case(["audit", "--config", "@bad.yaml"], 2, "@bad.yaml:1:"),
            // check's rule files.
            Case(["check", "--iptables-save", "@empty"], 2, "@empty: empty"),
            Case(["check", "--iptables-save", "@binary"], 2, "is not iptables-save output"),
            Case(["check", "--iptables-save", "@escapes"], 2, "is not iptables-save output"),
            Case(["check", "--iptables-save", "@huge"], 2, "@huge: larger than 128 MiB"),
            Case(["check", "--iptables-save", "@dir"], 2, "@dir: is a directory"),
            Case(["check", "--iptables-save", "/dev/zero"], 2, "/dev/zero: is a device, not a file"),
            Case(["check", "--iptables-save", "@dir/../nope.rules"], 2, "nope.rules: no such file"),
            Case(["check", "--nft-json", "@empty"], 2, "@empty: empty"),
            Case(["check", "--nft-json", "@binary"], 2, "not valid JSON"),
            Case(["check", "--nft-json", "@wrong.json"], 2, "@wrong.json"),
            Case(["check", "--nft-json", "@huge"], 2, "larger than 128 MiB"),
            // merge inputs.
            Case(["merge", "@empty"], 2, "@empty"),
            Case(
                ["merge", "@binary"], 2, "@binary: not a JSON object (expected a ctaudit audit report from 'ctaudit audit --format json')"),
            Case(["merge", "@wrong.json"], 2, "@wrong.json: schema is 'something/v9'"),
            Case(["merge", "@huge"], 2, "@huge: larger than 128 MiB"),
            Case(["merge", "@dir"], 2, "is a directory"),
            Case(["merge", "/dev/zero"], 2, "/dev/zero: is a device, not a file"),
            Case(["merge", "@dir/../nope.json"], 2, "nope.json: no such file"),
            Case(["merge", "-", "-"], 2, "'-' (stdin) can be given only once"),
        ]
    }

    static func run(_ arguments: [String]) throws -> Shell.Result {
        // A timeout: a FIFO or device must fail, never hang the test run.
        try Shell.run("/usr/bin/timeout", ["20", Shell.ctauditBinary] + arguments)
    }

    static func expectOneLineError(_ result: Shell.Result, _ testCase: Case, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == testCase.status, "exit \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout.prefix(200))", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("ctaudit: ") && result.stderr.hasSuffix("\n"), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.filter { $0 == "\n" }.count == 1, "not one line: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(testCase.names), "\(result.stderr) does not name \(testCase.names)", sourceLocation: sourceLocation)
        // Hostile bytes are quoted, never sent raw to the operator's terminal.
        #expect(
            !result.stderr.unicodeScalars.dropLast().contains { $0.value < 0x20 || (0x7f..<0xa0).contains($0.value) },
            "control characters on stderr: \(result.stderr.debugDescription)", sourceLocation: sourceLocation)
    }

    @Test("bad values and files: exit 2 or 3, one line naming the problem, nothing on stdout", arguments: cases)
    func refused(testCase: Case) throws {
        let files = try Files()
        defer { files.remove() }
        let resolved = Case(testCase.arguments.map(files.resolve), testCase.status, files.resolve(testCase.names))
        Self.expectOneLineError(try Self.run(resolved.arguments), resolved)
    }

    @Test(
        "a refused run leaves no --output file and no temporary file",
        arguments: cases.filter {
            ["audit", "merge"].contains($0.arguments[0]) && $0.arguments != ["merge", "-", "-"]
        })
    func noOutputFileOnError(testCase: Case) throws {
        let files = try Files()
        defer { files.remove() }
        let resolved = Case(testCase.arguments.map(files.resolve), testCase.status, files.resolve(testCase.names))
        let directory = files.directory + "/out"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = directory + "/report.json"
        let result = try Self.run(resolved.arguments + ["--output", output])
        Self.expectOneLineError(result, resolved)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test(
        "an output path that cannot be written: exit 2 when the path says so (a directory, a missing one), 3 when writing fails, one line, no file, no temporary"
    )
    func unwritableOutput() throws {
        let directory = NSTemporaryDirectory() + "ctaudit-out-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/taken", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let golden = Shell.packageRoot.appendingPathComponent("Tests/ReportsTests/Golden/audit-report.json").path
        // A missing directory or a directory as the file is a typing mistake,
        // refused before any work (issues 12, 23.8); a filesystem that refuses
        // the file (procfs takes no new files) fails when writing: exit 3.
        for (output, status, names) in [
            (directory + "/taken", Int32(2), "--output \(directory)/taken: is a directory, not a file name"),
            (directory + "/missing/r.json", Int32(2), "directory \(directory)/missing does not exist"),
            ("/proc/ctaudit-report-\(UUID().uuidString).json", Int32(3), "create temporary file in /proc"),
        ] {
            let result = try Self.run(["merge", golden, "--output", output])
            Self.expectOneLineError(result, Case([], status, names))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["taken"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/taken").isEmpty)
    }

    @Test("a refused audit with --textfile leaves a complete failure textfile, never a partial one")
    func textfileOnBadConfig() throws {
        let directory = NSTemporaryDirectory() + "ctaudit-out-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let textfile = directory + "/ctaudit.prom"
        let files = try Files()
        defer { files.remove() }
        let result = try Self.run(["audit", "--config", files.resolve("@binary"), "--textfile", textfile])
        Self.expectOneLineError(result, Case([], 2, "not UTF-8 text"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["ctaudit.prom"])
        let text = try String(contentsOfFile: textfile, encoding: .utf8)
        #expect(text.contains("ctaudit_audit_up 0\n") && text.hasSuffix("\n"))
    }

    @Test("merge reads a report from stdin and refuses a huge stream")
    func hugeStandardInput() throws {
        let result = try Shell.run("/bin/sh", ["-c", "head -c 140000000 /dev/zero | /usr/bin/timeout 20 \(Shell.ctauditBinary) merge -"])
        Self.expectOneLineError(result, Case([], 2, "-: larger than 128 MiB"))
    }
}
