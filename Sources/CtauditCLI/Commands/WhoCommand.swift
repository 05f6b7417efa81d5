import ArgumentParser
import Conntrack
import Engines
import NodeState
import Reports

struct WhoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "who",
        abstract: "Find the pod behind a translated source seen upstream (ADDR:PORT).",
        discussion: """
            An edge capture or a firewall's drop log shows only the node's address and the port \
            NAT gave the connection. who finds every flow whose translated source (the reply \
            tuple's destination) is that endpoint, in conntrack and in Cilium's and Calico's BPF NAT \
            maps, and names the pod behind it: its address, name and namespace where the node \
            knows them, netns, container id, both tuples, state, age, and whether the flow \
            violates the policy (--allow, --firewall, --profile, --config, as in audit). \
            Read-only; docs/WHO.md.

            --from-log FILE (or - for stdin) answers each line of 'tcpdump -n' output or of \
            iptables/nft LOG lines; a line that names no packet is said, not fatal. --pcap FILE \
            lists every SYN without a SYN-ACK back and every UDP datagram without one back in a \
            capture taken upstream, each traced to its pod. One table read answers all lines or \
            packets.

            EXAMPLES
              ctaudit who 198.51.100.2:2589
              ctaudit who '[2001:db8:1::2]:2589' 203.0.113.10:8080 --proto tcp
              ctaudit who 198.51.100.2:2589 --netns k8s-node1 -o json
              tcpdump -n -r edge.pcap | ctaudit who --from-log -
              journalctl -k | grep DPT= | ctaudit who --from-log -
              ctaudit who --pcap edge.pcap --netns k8s-node1

            EXIT STATUS: 0 a flow was found (for --from-log, --pcap: for at least one line or \
            unanswered packet), 1 none found, 2 bad usage or input (an endpoint that cannot be \
            parsed, a capture that cannot be read), 3 environment (not root / no CAP_NET_ADMIN, \
            conntrack netlink or namespace unavailable).
            """
    )

    enum Format: String, ReportFormat {
        case text
        case json

        static let formatHelp = "Output format: text, or json (ctaudit.who/v1, docs/WHO.md)."
    }

    @Argument(help: ArgumentHelp("The translated source seen upstream: ADDR:PORT, or [ADDR]:PORT for IPv6.", valueName: "endpoint"))
    var endpoint: String?

    @Argument(
        help: ArgumentHelp("The remote end (ADDR:PORT, [ADDR]:PORT, or ADDR): only flows to it. Same as --remote.", valueName: "remote"))
    var remoteArgument: String?

    @Option(name: .long, help: ArgumentHelp("The remote end: ADDR:PORT, [ADDR]:PORT, or ADDR alone (any port).", valueName: "endpoint"))
    var remote: String?

    @Option(
        name: .customLong("proto"),
        help: ArgumentHelp("Only flows of this protocol: tcp, udp, sctp, udplite, dccp, or a number.", valueName: "proto"))
    var protoName: String?

    @Option(
        name: .customLong("from-log"),
        help: ArgumentHelp(
            "Answer each line of 'tcpdump -n' output or iptables/nft LOG lines in this file (- for stdin).", valueName: "file"),
        completion: .file())
    var fromLog: String?

    @Option(
        name: .customLong("pcap"),
        help: ArgumentHelp(
            "List the unanswered SYNs and UDP datagrams of this capture (pcap/pcapng, taken upstream), each traced to its pod.",
            valueName: "file"),
        completion: .file())
    var pcap: String?

    @Flag(
        name: .customLong("untranslated"),
        help: "Also match flows source NAT did not change (the node's own, host-network pods, routed pod networks): reads the whole table.")
    var untranslated = false

    @OptionGroup var target: TargetOptions<KubernetesOptions, WhoWording>
    @OptionGroup var reportOutput: ReportOutputOptions<Format>
    @OptionGroup var dataplane: DataplaneOptions

    /// The most lines --from-log answers, and the most conversations --pcap tracks.
    static let lineBound = 100_000
    static let conversationBound = 100_000

    func validate() throws {
        let inputs = [endpoint != nil, fromLog != nil, pcap != nil].filter { $0 }.count
        if inputs == 0 { throw ValidationError("give an ENDPOINT (ADDR:PORT or [ADDR]:PORT), --from-log FILE or --pcap FILE") }
        if inputs > 1 { throw ValidationError("ENDPOINT, --from-log and --pcap exclude each other") }
        if remote != nil && remoteArgument != nil { throw ValidationError("give the remote once: as the second argument or --remote") }
        if (fromLog != nil || pcap != nil) && (remote ?? remoteArgument) != nil {
            throw ValidationError("--remote is for one ENDPOINT; log lines and captures name their own")
        }
        if let endpoint { _ = try Self.endpoint(endpoint, what: "ENDPOINT") }
        if let remote = remote ?? remoteArgument { _ = try Self.remote(remote) }
        _ = try proto()
        if let fromLog, fromLog != "-" { try InputPath.validate(fromLog, option: "--from-log") }
        try InputPath.validate(pcap, option: "--pcap")
    }

    static func endpoint(_ text: String, what: String) throws -> Endpoint {
        do { return try Endpoint(parsing: text) } catch { throw ValidationError("\(what): \(error)") }
    }

    /// ADDR:PORT, [ADDR]:PORT, or an address alone.
    static func remote(_ text: String) throws -> (IPAddress, UInt16?) {
        var bare = Substring(text)
        if bare.hasPrefix("["), bare.hasSuffix("]") { bare = bare.dropFirst().dropLast() }
        if let address = IPAddress(String(bare)) { return (address, nil) }
        let endpoint = try endpoint(text, what: "remote")
        return (endpoint.address, endpoint.port)
    }

    func proto() throws -> IPProtocol? {
        guard let protoName else { return nil }
        guard let proto = EdgeLogParser.protocolName(Substring(protoName)), proto.carriesPorts else {
            throw ValidationError("--proto \(protoName): not a protocol with ports (tcp, udp, sctp, udplite, dccp, or a number)")
        }
        return proto
    }

    func run() throws {
        let resolved = try target.resolve(printWarnings: false)
        let search = WhoSearch(
            policy: resolved.policy, bpffs: dataplane.directory(root: target.kubernetes.root),
            bpfBatchLookup: DataplaneOptions.batchLookup, includesUntranslated: untranslated,
            kubernetes: resolved.awareness)
        let run = WhoRun(
            search: search, namespace: resolved.namespace,
            lineReader: BoundedLineReader(maximumLines: Self.lineBound), captureCapacity: Self.conversationBound)
        let report: WhoReport
        if let fromLog {
            report = try run.runLog(fromLog, proto: try proto())
        } else if let pcap {
            report = try run.runCapture(pcap, proto: try proto())
        } else {
            let endpoint = try Self.endpoint(endpoint!, what: "ENDPOINT")
            let remote = try (remote ?? remoteArgument).map(Self.remote)
            report = try run.run(WhoQuery(endpoint: endpoint, remoteAddress: remote?.0, remotePort: remote?.1, proto: try proto()))
        }
        KubernetesOptions.printWarnings(resolved.kubernetes.warnings + report.kubernetesWarnings)
        // What may be missing is said where a person sees it, whatever the format.
        if reportOutput.format != .text || reportOutput.output != nil || reportOutput.quiet {
            for warning in report.warnings { Console.error("ctaudit: warning: \(warning)\n") }
        }
        switch reportOutput.format {
        case .json: try reportOutput.emit { WhoJSONWriter.write(report, to: $0) }
        case .text: try reportOutput.emit(WhoTextWriter(color: reportOutput.wantsColor).render(report))
        }
        // 1: nothing found, as audit says 1 for what a script must look at.
        if !report.found { throw ExitStatus.violations.exitCode }
    }
}
