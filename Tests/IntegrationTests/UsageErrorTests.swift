import Testing

/// Exit codes and messages of input errors. No root needed: these run on
/// every `swift test`, privileged or not, so a broken mapping is seen.
@Suite("Usage and input errors (any user)")
struct UsageErrorTests {
    @Test(
        "errors a person can act on: exit code and one line on stderr",
        arguments: [
            (["audit", "--allow", "70000"], Int32(2), "70000 is above 65535"),
            (["audit", "--allow", "5-1"], Int32(2), "reversed range"),
            (["audit", "--pod-cidr", "10.0.0.1/8"], Int32(2), "did you mean 10.0.0.0/8"),
            // Issue 22: a bare address is not silently one host.
            (["audit", "--pod-cidr", "10.42.0.0"], Int32(2), "invalid CIDR '10.42.0.0': no prefix length; write 10.42.0.0/16"),
            (["check", "--pod-cidr", "10.42.0.0"], Int32(2), "write 10.42.0.0/16"),
            (["audit", "--exclude-dst", "10.0.0.0"], Int32(2), "write 10.0.0.0/8"),
            (["watch", "--service-cidr", "10.96.0.0"], Int32(2), "write 10.96.0.0/16"),
            (["audit", "--format", "xml"], Int32(2), "xml"),
            (["audit", "--netns", "ctaudit-no-such-namespace"], Int32(2), "no network namespace of that name"),
            (["audit", "--netns", "/proc/self/status"], Int32(3), "not a network namespace"),
            (["audit", "--netns", ".."], Int32(2), "invalid network namespace name"),
            // watch and stats resolve their target through the same options as audit.
            (["watch", "--netns", "ctaudit-no-such-namespace"], Int32(2), "no network namespace of that name"),
            (["stats", "--netns", "ctaudit-no-such-namespace"], Int32(2), "no network namespace of that name"),
            (["watch", "--root", "/ctaudit-no-such-dir"], Int32(2), "--root /ctaudit-no-such-dir: not a directory"),
            (["stats", "--root", "/ctaudit-no-such-dir"], Int32(2), "--root /ctaudit-no-such-dir: not a directory"),
            // A file to write into a missing directory: said before any work.
            (
                ["watch", "--textfile", "/ctaudit-no-such-dir/watch.prom"], Int32(2),
                "--textfile /ctaudit-no-such-dir/watch.prom: directory /ctaudit-no-such-dir does not exist"
            ),
            (
                ["audit", "--textfile", "/ctaudit-no-such-dir/audit.prom"], Int32(2),
                "--textfile /ctaudit-no-such-dir/audit.prom: directory /ctaudit-no-such-dir does not exist"
            ),
            (
                ["stats", "--textfile", "/ctaudit-no-such-dir/stats.prom"], Int32(2),
                "--textfile /ctaudit-no-such-dir/stats.prom: directory /ctaudit-no-such-dir does not exist"
            ),
            (
                ["audit", "--output", "/ctaudit-no-such-dir/report.txt"], Int32(2),
                "--output /ctaudit-no-such-dir/report.txt: directory /ctaudit-no-such-dir does not exist"
            ),
            // Every path is checked before the table is read (issue 23.8).
            (["audit", "--output", "/tmp"], Int32(2), "--output /tmp: is a directory, not a file name"),
            (["audit", "--output", "/tmp/"], Int32(2), "--output /tmp/: is a directory, not a file name"),
            (["stats", "--output", "/tmp"], Int32(2), "--output /tmp: is a directory, not a file name"),
            (["watch", "--output", "/ctaudit-no-such-dir/w.ndjson"], Int32(2), "directory /ctaudit-no-such-dir does not exist"),
            (["check", "--output", "/tmp"], Int32(2), "--output /tmp: is a directory"),
            (["audit", "--textfile", "/tmp"], Int32(2), "--textfile /tmp: is a directory"),
            (["audit", "--firewall", "/ctaudit-no-such-file.json"], Int32(2), "--firewall /ctaudit-no-such-file.json: no such file"),
            (["audit", "--config", "/ctaudit-no-such-file.yaml"], Int32(2), "--config /ctaudit-no-such-file.yaml: no such file"),
            (["audit", "--config", "/tmp"], Int32(2), "--config /tmp: is a directory, not a file"),
            (["audit", "--bpffs", "/ctaudit-no-such-dir"], Int32(2), "--bpffs /ctaudit-no-such-dir: not a directory"),
            (["check", "--iptables-save", "/ctaudit-no-such-file"], Int32(2), "--iptables-save /ctaudit-no-such-file: no such file"),
            (["check", "--nft-json", "/ctaudit-no-such-file"], Int32(2), "--nft-json /ctaudit-no-such-file: no such file"),
            (["check", "--cilium-config", "/ctaudit-no-such-file"], Int32(2), "--cilium-config /ctaudit-no-such-file: no such file"),
            (["merge", "/ctaudit-no-such-file.json"], Int32(2), "/ctaudit-no-such-file.json: no such file"),
            (
                ["probe", "--target", "127.0.0.1:9", "--save-profile", "/ctaudit-no-such-dir/c.yaml"], Int32(2),
                "--save-profile /ctaudit-no-such-dir/c.yaml: directory /ctaudit-no-such-dir does not exist"
            ),
            // The option vocabulary (issue 23.1, 23.5): `help TOPIC` for no
            // such command fails; the old `-o FILE` and `--all` say what replaced them.
            (["help", "nope"], Int32(2), "no command 'nope'"),
            (["audit", "-o", "/tmp/report.json"], Int32(2), "write the file with --output /tmp/report.json"),
            (["audit", "--all"], Int32(2), "use --node-local"),
            (["watch", "--all"], Int32(2), "use --remaps"),
            (["audit", "--max-violations", "-1"], Int32(2), "--max-violations must be 0 or more, got -1"),
            (["watch", "--listen", "example.org:9814"], Int32(2), "an address, not a host name"),
            // --no-pods is still accepted where it is hidden: the error is --root's, not an unknown option.
            (["stats", "--no-pods", "--root", "/ctaudit-no-such-dir"], Int32(2), "--root /ctaudit-no-such-dir: not a directory"),
            (["watch", "--no-pods", "--root", "/ctaudit-no-such-dir"], Int32(2), "--root /ctaudit-no-such-dir: not a directory"),
            // who: the endpoint and its inputs (docs/WHO.md).
            (["who"], Int32(2), "give an ENDPOINT (ADDR:PORT or [ADDR]:PORT), --from-log FILE or --pcap FILE"),
            (["who", "198.51.100.2"], Int32(2), "'198.51.100.2' is not an endpoint: no port"),
            (["who", "2001:db8::2:2589"], Int32(2), "an IPv6 address needs brackets: [ADDR]:PORT"),
            (["who", "198.51.100.2:70000"], Int32(2), "'70000' is not a port (1-65535)"),
            (["who", "198.51.100.2:2589", "--proto", "icmp"], Int32(2), "--proto icmp: not a protocol with ports"),
            (["who", "198.51.100.2:2589", "--remote", "nowhere:80"], Int32(2), "remote: 'nowhere:80' is not an endpoint"),
            (["who", "198.51.100.2:2589", "--from-log", "-"], Int32(2), "ENDPOINT, --from-log and --pcap exclude each other"),
            (["who", "--pcap", "/ctaudit-no-such-file.pcap"], Int32(2), "--pcap /ctaudit-no-such-file.pcap: no such file"),
            (["who", "--from-log", "/ctaudit-no-such-file.log"], Int32(2), "--from-log /ctaudit-no-such-file.log: no such file"),
            (["who", "--pcap", "/etc/hostname"], Int32(2), "/etc/hostname: "),
        ])
    func errors(arguments: [String], status: Int32, message: String) throws {
        let result = try Shell.run(Shell.ctauditBinary, arguments)
        #expect(result.status == status)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("ctaudit: "))
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    }

    /// Issue 22: every verdict word is explained in --help (and docs/AUDIT.md).
    @Test("audit and merge --help name every verdict word")
    func verdictWordsInHelp() throws {
        let audit = try Shell.run(Shell.ctauditBinary, ["audit", "--help"]).stdout
        for word in ["violations", "pods-blocked", "outside-violations", "clean-in-scope", "clean", "nothing-to-audit"] {
            #expect(audit.contains("  \(word) "), "audit --help: \(word)")
        }
        let merge = try Shell.run(Shell.ctauditBinary, ["merge", "--help"]).stdout
        #expect(merge.contains("outside-violations") && merge.contains("clean-in-scope"))
    }

    /// audit names pods, so it offers --no-pods; stats and watch never name
    /// pods, so they hide it (and still accept it, above).
    @Test("--no-pods is offered only where pods are named")
    func noPodsInHelp() throws {
        #expect(try Shell.run(Shell.ctauditBinary, ["audit", "--help"]).stdout.contains("--no-pods"))
        for command in ["stats", "watch"] {
            let help = try Shell.run(Shell.ctauditBinary, [command, "--help"])
            #expect(help.status == 0)
            #expect(!help.stdout.contains("--no-pods"), "\(command)")
            #expect(help.stdout.contains("--root"), "\(command)")
        }
    }
}
