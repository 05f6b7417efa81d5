import Foundation
import Testing

/// The container image's runtime stage, without a container engine:
/// scripts/image/rootfs.py bootstraps a Debian root filesystem with exactly
/// the packages deploy/Containerfile's runtime stage installs and runs that
/// stage's other steps (the iptables wrapper, ctaudit's file capabilities).
/// In it, read-only and as the image's uid 65532 with only a mode's
/// capabilities in the bounding set (what a pod's `capabilities.add` gives),
/// the stripped static ctaudit reads the rules of test namespaces that use
/// either iptables backend, and audits with `--root /host`.
///
/// Needs root, debootstrap and Debian's mirror (about 40 s), and a static
/// release binary: CI's `make deb-test` runs before `make test` and leaves
/// one (`.build/release/ctaudit`, stripped here as make deb strips it).
@Suite(
    "Image: the runtime stage's packages run ctaudit", .serialized,
    .enabled(
        if: Shell.isRoot && Shell.has("debootstrap") && Shell.has("setpriv") && StaticReleaseBinary.path != nil,
        "needs root, debootstrap, setpriv and a static release build (make deb)"))
struct ImageRuntimeStageTests {
    /// The capabilities each mode gets in the chart (deploy/helm/ctaudit).
    static let checkCapabilities = ["net_admin", "net_raw", "dac_read_search"]
    static let watchCapabilities = ["net_admin", "dac_read_search"]

    /// Runs `command` in the root filesystem the way the image runs: inside
    /// `namespace`, the root filesystem read-only, /proc mounted, `host`
    /// (if any) at /host, as 65532:65532 with `capabilities` as the bounding set.
    static func inImage(
        _ rootfs: String, namespace: String, host: String? = nil, user: Bool = true,
        capabilities: [String], _ command: [String]
    ) throws -> Shell.Result {
        var script = "set -e; mount --bind \"$R\" \"$R\"; mount -o remount,bind,ro \"$R\"; mount -t proc proc \"$R/proc\"; "
        if host != nil { script += "mount --bind -o ro \"$H\" \"$R/host\"; " }
        let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        if user {
            let bounding = (["-all"] + capabilities.map { "+" + $0 }).joined(separator: ",")
            script += "exec chroot \"$R\" setpriv --reuid=65532 --regid=65532 --clear-groups --bounding-set=\(bounding) \(quoted)"
        } else {
            script += "exec chroot \"$R\" \(quoted)"
        }
        return try Shell.run(
            "/usr/sbin/ip",
            [
                "netns", "exec", namespace, "unshare", "--mount", "--propagation", "private",
                "/usr/bin/env", "R=\(rootfs)", "H=\(host ?? "")", "/bin/sh", "-c", script,
            ])
    }

    @Test("both iptables backends, nftables, non-root with file capabilities, read-only, --root /host")
    func runtimeStageRunsCheckAndAudit() throws {
        let directory = NSTemporaryDirectory() + "ctaudit-image-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { _ = try? Shell.run("/bin/rm", ["-rf", directory]) }
        // The stripped binary, as make deb and the Containerfile strip it.
        let binary = directory + "/ctaudit"
        try Shell.sh("objcopy --strip-all '\(try #require(StaticReleaseBinary.path))' '\(binary)'")
        let rootfs = directory + "/rootfs"
        let started = Date()
        let built = try Shell.run(
            "/usr/bin/python3",
            [
                Shell.packageRoot.appendingPathComponent("scripts/image/rootfs.py").path,
                "build", "--binary", binary, "--out", rootfs, "--quiet",
            ])
        #expect(built.status == 0, "rootfs.py: \(built.stderr)")
        guard built.status == 0 else { return }
        print("image rootfs built in \(Int(Date().timeIntervalSince(started))) s")
        try FileManager.default.createDirectory(atPath: rootfs + "/host", withIntermediateDirectories: true)
        // Anything newer than this marker was written while the "image" ran.
        try Shell.sh("touch '\(directory)/built'")
        let capabilities = try Shell.sh("getcap '\(rootfs)/usr/local/bin/ctaudit'").stdout
        #expect(capabilities.contains("cap_net_admin") && capabilities.contains("=p"), "\(capabilities)")

        // Two "nodes": one whose kubelet uses iptables-legacy, one iptables-nft
        // (both leave their canary chain in mangle), each with a MASQUERADE rule.
        let legacy = Lab.uniquePrefix("il")
        let nft = Lab.uniquePrefix("in")
        for name in [legacy, nft] { try Shell.sh("ip netns add \(name) && ip -n \(name) link set lo up") }
        defer { for name in [legacy, nft] { _ = try? Shell.run("/usr/sbin/ip", ["netns", "del", name]) } }
        try Shell.sh(
            "ip netns exec \(legacy) sh -c 'iptables-legacy -t mangle -N KUBE-KUBELET-CANARY && "
                + "iptables-legacy -t nat -A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE'")
        try Shell.sh(
            "ip netns exec \(nft) sh -c 'iptables-nft -t mangle -N KUBE-KUBELET-CANARY && "
                + "iptables-nft -t nat -A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE'")

        for (namespace, backend) in [(legacy, "legacy"), (nft, "nf_tables")] {
            // The wrapper picks the node's backend.
            let version = try Self.inImage(rootfs, namespace: namespace, user: false, capabilities: [], ["iptables", "-V"])
            #expect(version.stdout.contains("(\(backend))"), "\(namespace): \(version.stdout)\(version.stderr)")
            let save = try Self.inImage(rootfs, namespace: namespace, user: false, capabilities: [], ["iptables-save", "-t", "nat"])
            #expect(
                save.stdout.contains("-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE"), "\(save.stdout)\(save.stderr)")

            // check as uid 65532 with check's capabilities: the rule is read, and it is at risk.
            let check = try Self.inImage(
                rootfs, namespace: namespace, capabilities: Self.checkCapabilities,
                ["ctaudit", "check", "--no-config", "--pod-cidr", "10.244.0.0/16", "--format", "json"])
            #expect(check.status == 1, "\(namespace): check exit \(check.status): \(check.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any]
            let inputs = (report?["inputs"] as? [String] ?? []).joined(separator: "; ")
            #expect(inputs.contains("(\(backend), 1 NAT rule(s))"), "\(namespace): \(inputs)")
            #expect(report?["verdict"] as? String == "at-risk", "\(String(describing: report?["verdict"]))")
        }

        // Without DAC_READ_SEARCH a non-root ctaudit cannot read which legacy
        // tables exist (/proc/net/ip_tables_names is 0440): exit 3, never "safe".
        let blind = try Self.inImage(
            rootfs, namespace: legacy, capabilities: ["net_admin", "net_raw"],
            ["ctaudit", "check", "--no-config", "--pod-cidr", "10.244.0.0/16"])
        #expect(blind.status == 3 && blind.stderr.contains("ip_tables_names"), "exit \(blind.status): \(blind.stdout)\(blind.stderr)")

        // audit --root /host with watch's capabilities: the node's files
        // under /host give the pod networks; the table is the namespace's.
        let node = Shell.packageRoot.appendingPathComponent("Tests/Fixtures/nodes/kubeadm-flannel").path
        let audit = try Self.inImage(
            rootfs, namespace: nft, host: node, capabilities: Self.watchCapabilities,
            ["ctaudit", "audit", "--root", "/host", "--no-config", "--no-pods", "--format", "json"])
        #expect([0, 1].contains(audit.status), "audit exit \(audit.status): \(audit.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any]
        let policy = json?["policy"] as? [String: Any]
        #expect(policy?["pod_cidrs_source"] as? String == "discovered", "\(audit.stdout.prefix(600))")
        let podCIDRs = policy?["pod_cidrs"] as? [String] ?? []
        #expect(podCIDRs.contains("10.244.0.0/16"), "\(String(describing: policy))")
        // The image's root filesystem stayed as built: nothing was written to it.
        let written = try Shell.sh("find '\(rootfs)' -xdev -newer '\(directory)/built' | head -5").stdout
        #expect(written.isEmpty, "written in the image: \(written)")
    }
}

/// The release build (`--static-swift-stdlib`: runs where no Swift is installed), if one was made.
enum StaticReleaseBinary {
    static let path: String? = {
        let path = Shell.packageRoot.appendingPathComponent(".build/release/ctaudit").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()
}
