import ArgumentParser
import Conntrack
import ConntrackAudit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Report source-NATed pod flows whose translated source port is outside the allowed ranges.",
        discussion: """
            Reads the live conntrack table (IPv4 and IPv6) over netlink; changes nothing. A flow is \
            a violation when source NAT changed it (IPS_SRC_NAT), it comes from a pod network, it \
            has ports, and its translated source port (the reply tuple's destination port) is outside \
            --allow, whether NAT remapped the port or kept the pod's own.

            EXAMPLES
              ctaudit audit --pod-cidr 10.1.0.0/16
              ctaudit audit --netns cni-1234 --allow 32768-65535 --format json
              ctaudit audit --pod-cidr 10.42.0.0/16 --pod-cidr fd00:42::/56 --exclude-dst 10.0.0.0/8

            EXIT STATUS: 0 no violation, 1 violations found, 2 bad usage or input, 3 environment \
            (not root / no CAP_NET_ADMIN, conntrack netlink or namespace unavailable).
            """
    )

    @OptionGroup var policy: PolicyOptions
    @OptionGroup var namespace: NamespaceOptions

    @Option(name: .long, help: "Output format: text or json.")
    var format: OutputFormat = .text

    @Flag(name: .customLong("no-kernel-filter"),
          help: "Read the whole table and filter in ctaudit instead of asking the kernel for source-NATed entries only.")
    var noKernelFilter = false

    @Flag(name: .shortAndLong, help: "Say on stderr how the table was read (kernel filter or not, entries read).")
    var verbose = false

    func run() throws {
        let auditor = Auditor(policy: policy.policy, kernelFilter: !noKernelFilter)
        let report = try auditor.run(namespace: try namespace.resolve())
        if verbose { describeDump(report) }
        let output: String = switch format {
        case .json: JSONReportWriter.render(report)
        case .text: TextReportWriter(color: Terminal.wantsColor).render(report)
        }
        Console.out(output)
        if report.summary.violations > 0 { throw ExitStatus.violations.exitCode }
    }

    private func describeDump(_ report: AuditReport) {
        let dump = report.dump
        var line = "ctaudit: read \(report.summary.flowsRead) of \(report.summary.flows) entries in \(dump.datagrams) datagrams; "
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
