import Foundation
import Testing

/// Whether this machine lets an unprivileged user make a user+network
/// namespace (some distributions forbid it).
enum UserNamespaceSupport {
    static let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    static var available: Bool {
        guard Shell.isRoot, Shell.has("setpriv"), Shell.has("unshare"), Shell.has("nft") else { return false }
        return (try? Shell.run(asNobody[0], Array(asNobody.dropFirst()) + ["unshare", "-Urn", "true"]).status) == 0
    }
}

/// Least privilege: ctaudit needs CAP_NET_ADMIN in the user namespace that
/// owns the network namespace it reads, not root. An unprivileged user
/// (`nobody`) who makes a user+network namespace with `unshare -Urn` holds
/// that capability there and can audit it; outside it, the same user gets
/// exit 3 naming CAP_NET_ADMIN.
@Suite(
    "Unprivileged user namespace",
    .enabled(
        if: UserNamespaceSupport.available, "needs root (to become nobody), setpriv, unshare and nft, and unprivileged user namespaces"))
struct UnprivilegedNamespaceTests {
    static let asNobody = UserNamespaceSupport.asNobody

    /// The binary where nobody can run it: the build's own when nobody can
    /// reach it, else one copy in /tmp. The copy is written through a
    /// close-on-exec descriptor: a child that another test spawns meanwhile
    /// must not inherit it open for writing (exec would fail, ETXTBSY).
    static let binaryForNobody: String = {
        let built = Shell.ctauditBinary
        if (try? Shell.run(asNobody[0], Array(asNobody.dropFirst()) + ["/usr/bin/test", "-x", built]).status) == 0 {
            return built
        }
        let directory = "/tmp/ctaudit-unpriv-\(getpid())"
        mkdir(directory, 0o755)
        chmod(directory, 0o755)
        let path = directory + "/ctaudit"
        guard let bytes = FileManager.default.contents(atPath: built) else { return built }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { return built }
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        chmod(path, 0o755)
        return path
    }()

    /// Runs as nobody inside a fresh user+network namespace: loopback up, an
    /// nft SNAT rule that remaps UDP to 10.99.0.2 into ports 1000-1100 (below
    /// the allowed range), three datagrams, then ctaudit. The namespace and
    /// everything in it vanish when the shell exits. 10.99.0.2 is routed out
    /// through lo but is no address of the namespace: a peer off the node
    /// (one on loopback or the node's own address would be node-local).
    static let script = #"""
        set -e
        ip link set lo up
        ip route add 10.99.0.0/24 dev lo
        nft add table ip ctaudit_unpriv
        nft 'add chain ip ctaudit_unpriv post { type nat hook postrouting priority 100; }'
        nft add rule ip ctaudit_unpriv post ip daddr 10.99.0.2 meta l4proto udp snat to 127.0.0.1:1000-1100
        for port in 40001 40002 40003; do
            python3 -c 'import socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", int(sys.argv[1])))
        s.sendto(b"x", ("10.99.0.2", 9))' "$port"
        done
        set +e
        echo "id $(id -u)"
        "$1" audit --no-config --pod-cidr 127.0.0.0/8 --format json > "$2/audit.json"; echo "audit $?"
        "$1" stats --format json > "$2/stats.json"; echo "stats $?"
        "$1" watch --duration 1 --pod-cidr 127.0.0.0/8 > /dev/null; echo "watch $?"
        """#

    @Test("nobody audits a network namespace it owns: real violations, exit 1 (audit, and watch from its initial dump); stats exits 0")
    func auditsOwnNamespace() throws {
        let binary = Self.binaryForNobody
        let output = "/tmp/ctaudit-unpriv-out-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(atPath: output) }
        chmod(output, 0o777)
        let result = try Shell.run(
            Self.asNobody[0],
            Array(Self.asNobody.dropFirst()) + [
                "unshare", "-Urn", "/bin/bash", "-c", Self.script, "unpriv", binary, output,
            ])
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let lines = Set(result.stdout.split(separator: "\n").map(String.init))
        #expect(lines.contains("id 0"), "root inside the user namespace only: \(lines)")
        #expect(lines.contains("audit 1"), "violations found: \(result.stdout) \(result.stderr)")
        #expect(lines.contains("stats 0"), "\(result.stderr)")
        // The three flows are in the table when watch starts: its initial dump counts them.
        #expect(lines.contains("watch 1"), "\(result.stderr)")

        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/audit.json"))) as? [String: Any])
        let summary = try #require(json["summary"] as? [String: Int])
        #expect(summary["violations"] == 3)
        #expect(summary["remapped"] == 3)
        let violations = try #require(json["violations"] as? [[String: Any]])
        for violation in violations {
            let translated = try #require(violation["translated"] as? [String: Any])
            let port = try #require(translated["sport"] as? Int)
            #expect((1000...1100).contains(port))
            #expect(violation["unreplied"] as? Bool == true)
        }
        let stats = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/stats.json"))) as? [String: Any])
        let table = try #require(stats["table"] as? [String: Any])
        #expect(table["entries"] as? Int == 3)
    }

    /// Inside its own namespace nobody can dump the table but not read
    /// root's /proc/PID/ns/net: pods cannot be named, and one warning (not
    /// one per process) says why.
    @Test("nobody's pod attribution: one warning that other processes cannot be read")
    func unreadableProcessesAreOneWarning() throws {
        let result = try Shell.run(
            Self.asNobody[0],
            Array(Self.asNobody.dropFirst()) + [
                "unshare", "-Urn", Self.binaryForNobody, "audit", "--no-config", "--pod-cidr", "127.0.0.0/8", "--format", "json",
            ])
        #expect(result.status == 0, "an empty table has no violations: \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let warnings = try #require((json["kubernetes"] as? [String: Any])?["warnings"] as? [[String: String]])
        let denied = warnings.filter { $0["subject"] == "/proc/PID/ns/net" }
        #expect(denied.count == 1, "\(warnings)")
        #expect(denied.first?["message"]?.hasPrefix("permission denied for ") == true)
        #expect(denied.first?["message"]?.contains("CAP_SYS_PTRACE") == true)
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("/proc/PID/ns/net") }
        #expect(lines.count == 1 && lines[0].hasPrefix("ctaudit: warning: /proc/PID/ns/net: permission denied"), "\(result.stderr)")
    }

    @Test(
        "nobody outside a namespace it owns: exit 3, one line naming CAP_NET_ADMIN",
        arguments: [["audit"], ["stats"], ["watch", "--duration", "1"]])
    func refusedOutside(arguments: [String]) throws {
        let binary = Self.binaryForNobody
        let result = try Shell.run(
            Self.asNobody[0],
            Array(Self.asNobody.dropFirst()) + [binary] + arguments + ["--no-config"].filter { _ in arguments[0] == "audit" })
        #expect(result.status == 3, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("ctaudit: ") && result.stderr.filter { $0 == "\n" }.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("CAP_NET_ADMIN"), "\(result.stderr)")
    }
}
