import ArgumentParser
import Conntrack
import Engines
import NodeState
import Policy
import Reports

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Check a node's NAT rules and port-range sysctls before it goes live: can pod traffic get source ports the upstream firewall drops?",
        discussion: """
            Reads the SNAT/MASQUERADE rules that traffic reaches from POSTROUTING (iptables and \
            ip6tables nat tables, legacy and nf_tables, following jumps into KUBE-POSTROUTING, \
            FLANNEL-POSTRTG, cali-nat-outgoing, CNI-...; nft masquerade/snat in nat postrouting chains) \
            and the pods' net.ipv4.ip_local_port_range, predicts which translated source ports are \
            possible and how often they fall outside --allow, and prints the exact fix. Read-only: \
            runs 'nft -j list ruleset' and 'iptables-save -t nat' (under nsenter for --netns) and \
            reads /proc; changes nothing.

            Live by default (this namespace or --netns). Offline with --iptables-save and/or \
            --nft-json files (for CI and review); nothing live is read then.

            BPF dataplanes translate outside these rules: Cilium's BPF masquerading and Calico's eBPF \
            host source-port NAT are detected by their pinned maps under --bpffs (live) or their \
            exported config (--cilium-config, --calico-config), and their port range is judged and \
            fixed the same way (docs/DATAPLANES.md).

            With --pods, a rule is judged only by the namespaces whose addresses its source \
            matches (and those of the jumps that lead to its chain): the CNI bridge plugin's \
            CNI-<hash> chain per pod by that pod's range alone. The portmap plugin's hairpin \
            masquerade (CNI-HOSTPORT-MASQ) never crosses the upstream firewall and is safe.
            With --firewall, each rule is judged per protocol and family against the ports that \
            protocol's replies get through to, for the node's translated address (--node-address, \
            or SNAT rules' addresses, or live the node's own).

            VERDICTS
              safe       no translated port can fall outside --allow (or what
                         --firewall admits)
              uncertain  none is known to, but a --firewall rule ctaudit
                         cannot judge decides some ports
              at risk    connections that clash (two pods, same port, same
                         server) can get a port outside --allow
              broken     connections fail without any clash (--random-fully,
                         or pods keep their low ports)

            EXAMPLES
              ctaudit check
              ctaudit check --netns k8s-node1 --pods
              ctaudit check --iptables-save nat.rules --port-range 1024-65535 -o json
              ctaudit check --nft-json ruleset.json --allow 32768:65535
              ctaudit check --profile hetzner-robot --iptables-save nat.rules
              ctaudit check --firewall nacl.json --iptables-save nat.rules
              ctaudit check --cilium-config cilium.yaml --calico-config felix.yaml
              ctaudit check --pods --quiet || echo "node not safe"   # CI gate
              ctaudit check --pods -o json --output /tmp/check.json

            A NAT rule whose possible ports overlap the node's service-node-port-range (default \
            30000-32767) or, live, a port the node listens on is reported as port overlap: its own \
            finding, no change to the verdict.

            EXIT STATUS: 0 safe, 1 at risk or broken, 2 bad usage or input (an unreadable or \
            malformed file is named), 3 environment (not root, nft/iptables-save missing, namespace unavailable), \
            4 uncertain (a --firewall rule ctaudit cannot judge decides; nothing known to fail).
            """
    )

    enum Format: String, ReportFormat {
        case text
        case json

        static let formatHelp = "Output format: text or json (schema ctaudit.check/v1, docs/CHECK.md)."
    }

    @OptionGroup var policy: PolicyOptions<CheckWording>
    @OptionGroup var configFile: ConfigOptions
    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var dataplane: CheckDataplaneOptions

    @OptionGroup var reportOutput: ReportOutputOptions<Format>

    @Option(
        name: .customLong("iptables-save"),
        help: ArgumentHelp(
            "Read rules from this 'iptables-save -t nat' or 'ip6tables-save -t nat' output instead of the live node (repeatable).",
            valueName: "file"))
    var iptablesSaveFiles: [String] = []

    @Option(
        name: .customLong("nft-json"),
        help: ArgumentHelp("Read rules from this 'nft -j list ruleset' output instead of the live node (repeatable).", valueName: "file"))
    var nftJSONFiles: [String] = []

    @Option(
        name: .customLong("port-range"),
        help: ArgumentHelp(
            "The pods' net.ipv4.ip_local_port_range, as LOW-HIGH, LOW:HIGH or 'LOW HIGH' (repeatable). Default: read with --pods, else 32768-60999 (the kernel's for a new namespace).",
            valueName: "low-high"),
        transform: { try PortRange(parsing: $0) })
    var portRanges: [PortRange] = []

    @Flag(
        name: .long,
        help:
            "Also read ip_local_port_range and the addresses of every network namespace found (/run/netns and /proc/*/ns/net); each rule is judged by the namespaces whose traffic reaches it (its own and its jumps' source matches, e.g. the CNI bridge plugin's chain per pod)."
    )
    var pods = false

    @Option(
        name: .customLong("node-address"),
        help: ArgumentHelp(
            "With --firewall: the node's translated source address (its masquerade address), repeatable. Default: SNAT rules' addresses and, live, the node's own global addresses; offline masquerade leaves it unknown (the worst answer is judged).",
            valueName: "address"),
        transform: { text in
            guard let address = IPAddress(text) else {
                throw ValidationError("--node-address: expected an IPv4 or IPv6 address, got '\(text)'")
            }
            return address
        })
    var nodeAddresses: [IPAddress] = []
    func validate() throws {
        try configFile.validate(with: policy)
        try InputPath.validate(iptablesSaveFiles, option: "--iptables-save")
        try InputPath.validate(nftJSONFiles, option: "--nft-json")
        if pods && (!iptablesSaveFiles.isEmpty || !nftJSONFiles.isEmpty) {
            throw ValidationError("--pods reads live namespaces; it cannot be combined with --iptables-save/--nft-json (use --port-range)")
        }
        if namespace.netns != nil && (!iptablesSaveFiles.isEmpty || !nftJSONFiles.isEmpty) {
            throw ValidationError("--netns reads live rules; it cannot be combined with --iptables-save/--nft-json")
        }
    }

    func run() throws {
        // The same allowed ports and pod networks as audit: flags over
        // --profile over the config file (a pre-deploy check and the cron
        // audit then judge against one policy).
        let checkPolicy = try configFile.policy(flags: policy)
        var check = NodeCheck(
            allowed: checkPolicy.allowed, podNetworks: checkPolicy.podNetworks, namespace: try namespace.resolve(),
            iptablesSaveFiles: iptablesSaveFiles, nftJSONFiles: nftJSONFiles,
            declaredPortRanges: portRanges, scanNamespaces: pods)
        check.hints = .flags
        if checkPolicy.firewall != nil { check.firewallPolicy = checkPolicy }
        check.nodeAddresses = nodeAddresses
        // Live: the node's own NodePort range; offline: Kubernetes' default (the files given are rules only).
        let nodePorts = check.isOffline ? ServiceNodePortRange.kubernetesDefault : ServiceNodePortRange.discover()
        for warning in nodePorts.warnings { Console.error("ctaudit: warning: \(warning)\n") }
        check.nodePortRange = nodePorts
        var report = try check.run()
        report.dataplanes = dataplane.findings(
            allowed: checkPolicy.allowed, nodePortRange: report.nodePortRange,
            live: iptablesSaveFiles.isEmpty && nftJSONFiles.isEmpty)
        var textWriter = CheckTextWriter(color: reportOutput.wantsColor)
        textWriter.hints = .flags
        let text: String =
            switch reportOutput.format {
            case .json: CheckJSONWriter.render(report)
            case .text: textWriter.render(report)
            }
        try reportOutput.emit(text)
        switch report.verdict {
        case .safe: break
        case .uncertain: throw ExitStatus.uncertain.exitCode
        case .atRisk, .broken: throw ExitStatus.violations.exitCode
        }
    }
}
