import ArgumentParser
import Conntrack
import Engines
import Glibc
import NodeState
import Reports

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Report source-NATed pod flows whose translated source port is outside the allowed ranges.",
        discussion: """
            Reads the live conntrack table (IPv4 and IPv6) over netlink; changes nothing. A flow is \
            a violation when source NAT changed it (IPS_SRC_NAT), it comes from a pod network, it \
            has ports, and its translated source port (the reply tuple's destination port) is outside \
            --allow, whether NAT remapped the port or kept the pod's own. Cilium's and Calico's BPF \
            NAT maps (pinned under --bpffs, read-only through bpf(2)) are audited the same way; a map \
            that exists but cannot be read is a warning (docs/DATAPLANES.md).

            EXAMPLES
              ctaudit audit --pod-cidr 10.1.0.0/16
              ctaudit audit        # pod networks from CNI, flannel, Calico, routes
              ctaudit audit --netns k8s-node1 -o json     # the node, where NAT is
              ctaudit audit --root /srv/node-copy -o json
              ctaudit audit --node-local      # also hairpin/pod-to-pod flows
              ctaudit audit --pod-cidr 10.42.0.0/16 --exclude-dst 10.0.0.0/8
              ctaudit audit --profile linux-ephemeral -o html \\
                  --output /tmp/ctaudit.html
              ctaudit audit --firewall robot.json   # judge by its own rules
              ctaudit audit --quiet \\
                  --textfile /var/lib/node_exporter/textfile_collector/ctaudit.prom

            Flows whose peer (the reply tuple's source) is a pod, a --service-cidr, the node itself or \
            loopback never cross the upstream firewall: counted as node_local, never violations. \
            Source-NATed flows from outside the pod networks are not audited as pod flows but are \
            counted, summarized by source network and judged as if they were: a wrong --pod-cidr \
            never looks clean. Every --pod-cidr, --exclude-dst and --service-cidr needs its prefix \
            length (10.42.0.0/16).

            VERDICTS (docs/AUDIT.md)
              violations          pod flows use a port outside --allow (exit 1)
              pods-blocked        a pod's whole port range is blocked and a NAT
                                  rule keeps it: each connection fails (exit 1)
              outside-violations  no pod flow violates, but source-NATed flows
                                  from outside the pod networks would (exit 1)
              uncertain           no violation, but a --firewall rule ctaudit
                                  cannot judge decides some flows (exit 4)
              clean-in-scope      pod flows clean; flows from outside the pod
                                  networks exist, none would violate (exit 0)
              clean               every audited flow is allowed (exit 0)
              nothing-to-audit    no pod flow to judge: no source NAT here, or
                                  only flows from outside the pod networks,
                                  none violating (exit 0)

            PORT OVERLAP: translated ports in the node's service-node-port-range (the kube-apiserver \
            manifest, MicroK8s or k3s/RKE2 config, else 30000-32767) or on a port the node listens on \
            are their own finding, printed and exported, never a violation and no change to the exit \
            status.

            EXIT STATUS: 0 clean, clean-in-scope or nothing to audit (or at most --max-violations \
            violating flows), 1 violations, outside-violations, or a pod whose whole port range is \
            blocked while NAT keeps it (whatever --max-violations), 2 bad usage or input \
            (including the config file, a --netns that does not exist), 3 environment \
            (not root / no CAP_NET_ADMIN, conntrack netlink or namespace unavailable), 4 uncertain: no \
            violation and no pod blocked, but a --firewall rule ctaudit cannot judge decides some flows' \
            replies (never 0: that would call them clean; not 1: ctaudit cannot say they fail).
            """
    )

    enum Format: String, ReportFormat {
        case text
        case json
        /// Prometheus text exposition (node_exporter textfile collector).
        case prometheus
        /// One JSON violation per line, for log shippers.
        case ndjson
        /// One self-contained HTML page with a port chart (use with --output).
        case html

        static let formatHelp =
            "Output format: text, json, ndjson (one violation a line), prometheus (textfile format), or html (one self-contained page; use with --output)."
    }

    @OptionGroup var target: TargetOptions<KubernetesOptions, AuditWording>
    @OptionGroup var reportOutput: ReportOutputOptions<Format>
    @OptionGroup var threshold: ViolationThresholdOptions
    @OptionGroup var textfile: TextfileOptions
    @OptionGroup var dataplane: DataplaneOptions

    var format: Format { reportOutput.format }

    @Flag(
        name: .customLong("no-kernel-filter"),
        help: "Read the whole table and filter in ctaudit instead of asking the kernel for source-NATed entries only.")
    var noKernelFilter = false

    @Flag(name: .shortAndLong, help: "Say on stderr how the table was read (kernel filter or not, entries read).")
    var verbose = false

    @Flag(
        name: .customLong("node-local"),
        help:
            "Also list node-local flows (peer is a pod, a --service-cidr, the node itself or loopback: hairpin and pod-to-pod traffic). They are always counted (node_local) and never violations."
    )
    var listsNodeLocal = false

    @OptionGroup var removed: RemovedAllFlag

    func validate() throws {
        try removed.validate(replacement: "--node-local")
    }

    func run() throws {
        var report: AuditReport
        do {
            let resolved = try target.resolve(printWarnings: false)
            var auditor = Auditor(
                policy: resolved.policy, kernelFilter: !noKernelFilter, listsNodeLocal: listsNodeLocal,
                bpffs: dataplane.directory(root: target.kubernetes.root),
                bpfBatchLookup: DataplaneOptions.batchLookup, retention: retention)
            // Flows translated onto a NodePort or a listening port: their own finding (docs/AUDIT.md).
            let nodePorts = ServiceNodePortRange.discover(root: NodeRoot(target.kubernetes.root))
            KubernetesOptions.printWarnings(nodePorts.warnings)
            auditor.nodePortRange = nodePorts
            // The report's sentences (remedies, hints) name our flags.
            report = try AuditRun(
                auditor: auditor, namespace: resolved.namespace, kubernetes: resolved.awareness,
                context: resolved.kubernetes, hints: .flags
            ).run()
            // Discovery's and attribution's warnings, printed together after the dump.
            KubernetesOptions.printWarnings(report.kubernetes.warnings)
            for warning in report.dataplanes.warnings { Console.error("ctaudit: warning: \(warning)\n") }
        } catch {
            textfile.writeFailure()
            throw error
        }
        if verbose { describeDump(report) }
        if report.dump.interrupted {
            // Whatever the format, a verdict on an incomplete dump is said where a person sees it.
            Console.error(
                "ctaudit: warning: the kernel flagged the dump as interrupted (NLM_F_DUMP_INTR): entries may be missing; audit again\n")
        }
        try textfile.write(report)
        if let path = textfile.textfile { reportOutput.wrote(path, what: "metrics") }
        // JSON and NDJSON grow with the violations: streamed in chunks.
        switch format {
        case .json: try reportOutput.emit(byteChunks: { JSONReportWriter.write(report, toBytes: $0) })
        case .ndjson: try reportOutput.emit { NDJSONWriter.write(report, to: $0) }
        case .text:
            try reportOutput.emit(
                TextReportWriter(
                    color: reportOutput.wantsColor,
                    listsWarnings: reportOutput.output != nil
                ).render(report))
        case .prometheus: try reportOutput.emit(PrometheusWriter.render(report, timestamp: SystemClock.unixSeconds()))
        case .html: try reportOutput.emit { HTMLReportWriter().write(report, to: $0) }
        }
        try threshold.check(report)
    }

    /// JSON lists every violation; the other formats print counts, groups
    /// and the worst flows, so the audit keeps only those whole.
    private var retention: ViolationList.Retention {
        switch format {
        case .json, .ndjson: .all
        case .text: .worst(TextReportWriter().flowLimit)
        case .html: .worst(HTMLReportWriter().flowLimit)
        case .prometheus: .worst(0)
        }
    }

    private func describeDump(_ report: AuditReport) {
        let dump = report.dump
        var line = "ctaudit: read \(report.summary.flowsRead) of \(report.summary.flows) entries in \(dump.datagrams) datagrams"
        line += dump.duplicates > 0 ? " (\(dump.duplicates) resent by the kernel, counted once); " : "; "
        if dump.kernelFiltered {
            line += "kernel-side filter (CTA_STATUS IPS_SRC_NAT) used"
        } else if let reason = dump.kernelFilterFallback {
            line += reason
        } else {
            line += "whole table read, filtered in user space (--no-kernel-filter)"
        }
        Console.error(line + "\n")
    }
}
