import Foundation

/// Runs shell commands the way a reader of the docs would on a machine of
/// their own: in fresh mount, PID and UTS namespaces (`unshare`), with the
/// host name `node1`, an empty /run/netns, a /tmp and a /proc of its own. So the
/// lab's names (`ctlab`, `demo`) are the docs' names, nothing another test's
/// lab does shows up (pod lookups, namespace lists), and everything the
/// commands made is gone when the shell ends, also on failure: the network
/// namespaces lived only as mounts in that mount namespace and the lab's
/// processes in that PID namespace. The root network namespace is never
/// entered or changed.
enum HermeticLab {
    static let marker = "@@ctaudit-docs@@"

    struct Output {
        var stdout: String
        var status: Int32
    }

    /// Runs `setup` (output dropped), then each command (stdout and stderr
    /// together, as a terminal shows them); returns each command's output.
    static func run(setup: [String], commands: [String]) throws -> (outputs: [String], log: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ctaudit-docs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bin = URL(fileURLWithPath: Shell.ctauditBinary).deletingLastPathComponent().path
        // A checkout under /tmp (CI clones anywhere) would vanish under the
        // lab's own /tmp: hold the real /tmp aside, then bind the checkout
        // back at its own path, and let go of the holder.
        let root = Shell.packageRoot.path
        let underTmp = root.hasPrefix("/tmp/")
        let keepVisible = underTmp ? "mkdir /run/netns/.host-tmp && mount --bind /tmp /run/netns/.host-tmp" : ""
        let bringBack =
            underTmp
            ? "mkdir -p '\(root)' && mount --bind '/run/netns/.host-tmp/\(root.dropFirst(5))' '\(root)' && umount -l /run/netns/.host-tmp && rmdir /run/netns/.host-tmp"
            : ""
        var script = """
            set -u
            hostname node1
            mkdir -p /run/netns && mount -t tmpfs ctaudit-docs /run/netns
            \(keepVisible)
            mount -t tmpfs ctaudit-docs /tmp
            \(bringBack)
            export CTLAB_STATE_ROOT=/tmp/ctaudit-lab PATH=\(bin):$PATH NO_COLOR=1 COLUMNS=80
            cd \(Shell.packageRoot.path)
            trap 'for ns in /run/netns/*; do [ -e "$ns" ] && ip netns del "$(basename "$ns")" 2>/dev/null; done' EXIT

            """
        for line in setup { script += "{ \(line) ; } >/dev/null 2>&1\n" }
        for (index, command) in commands.enumerated() {
            script += "printf '\\n\(marker) \(index)\\n'\n{ \(command)\n} 2>&1\n"
        }
        script += "printf '\\n\(marker) end\\n'\n"
        let path = directory.appendingPathComponent("docs.sh").path
        try script.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Shell.run(
            "/usr/bin/unshare",
            [
                "--mount", "--pid", "--fork", "--mount-proc", "--uts", "--propagation", "private",
                "/bin/bash", path,
            ])
        var outputs = [String](repeating: "", count: commands.count)
        var current: Int?
        for line in result.stdout.components(separatedBy: "\n") {
            if line.hasPrefix(marker + " ") {
                current = Int(line.dropFirst(marker.count + 1))
                continue
            }
            if let current { outputs[current] += line + "\n" }
        }
        return (outputs, result.stderr)
    }
}
