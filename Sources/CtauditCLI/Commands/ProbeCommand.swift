import ArgumentParser
import Conntrack
import Engines
import NodeState
import Policy
import Reports

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Measure which local ports replies from one target come back to (active: sends probes, only to --target).",
        discussion: """
            Binds chosen local source ports on this node's (or --netns's) own addresses and connects to \
            --target from each (UDP: a DNS query when the port is 53, else --payload), one connection at \
            a time, paced by --rate, never more than --max-probes. A control probe goes first, in the \
            middle of --range; then the ends; then bisection between a port that got a reply and one \
            that did not, confirmed by a few random samples in each band. Ports in use are skipped. It \
            changes no rule and no sysctl. Run it where pods' traffic leaves the node (the node, or a \
            pod's namespace without NAT) so the ports probed are the ones the firewall sees.

            EXAMPLES
              ctaudit probe --target 203.0.113.10:443
              ctaudit probe --target 9.9.9.9:53 --proto udp -o json
              ctaudit probe --target [2001:db8::10]:443 --netns k8s-node1 \\
                  --range 1024:65535 --save-profile /etc/ctaudit/config.yaml

            EXIT STATUS: 0 every probed port got replies, 1 some ports get no reply (blocked), 2 bad usage, \
            3 environment (the target answered on no port at all: unreachable, not a firewall verdict; \
            not root; namespace unavailable).
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp("The only host probes go to, as IPv4:PORT or [IPv6]:PORT (an address, not a name).", valueName: "host:port"))
    var target: String

    @Option(name: .customLong("proto"), help: "tcp or udp.")
    var transport: ProbeTransport = .tcp

    @OptionGroup var namespace: NamespaceOptions

    @Option(
        name: .long,
        help: ArgumentHelp("Local source ports to measure, LOW-HIGH or LOW:HIGH (default: 1024-65535).", valueName: "low-high"),
        transform: { try PortRange(parsing: $0) })
    var range: PortRange = PortRange(low: 1024, high: 65535)!

    @Option(name: .customLong("max-probes"), help: "Never send more probes than this (1-1000).")
    var maxProbes = 64

    @Option(name: .customLong("rate"), help: ArgumentHelp("At most this many probes per second.", valueName: "per-second"))
    var rateOption = DecimalArgument(5)
    var rate: Double { rateOption.value }

    @Option(
        name: .customLong("timeout"), help: ArgumentHelp("How long to wait for a reply to one probe, in seconds.", valueName: "seconds"))
    var timeoutOption = DecimalArgument(1)
    var timeout: Double { timeoutOption.value }

    @Option(name: .long, help: ArgumentHelp("UDP datagram to send (text), needed unless the target port is 53.", valueName: "text"))
    var payload: String?

    enum Format: String, ReportFormat {
        case text
        case json

        static let formatHelp = "Output format: text or json (schema ctaudit.probe/v1)."
    }

    @OptionGroup var reportOutput: ReportOutputOptions<Format>

    @Option(
        name: .customLong("save-profile"),
        help: ArgumentHelp("Write a config file whose profile is the ports that came back (for 'audit --config').", valueName: "file"))
    var saveProfile: String?

    @Option(name: .long, help: ArgumentHelp("Seed for the random confirmation samples (default: random).", valueName: "n"))
    var seed: UInt64?

    func validate() throws {
        // Checked before a single probe is sent.
        try OutputPath.validate(saveProfile, option: "--save-profile")
        _ = try parsedTarget()
        if !(1...1000).contains(maxProbes) { throw ValidationError("--max-probes must be 1-1000, got \(maxProbes)") }
        if !(rate > 0 && rate <= 1000) { throw ValidationError("--rate must be more than 0 and at most 1000 per second") }
        if !(timeout > 0 && timeout <= 60) { throw ValidationError("--timeout must be more than 0 and at most 60 seconds") }
        if transport == .udp, payload == nil, (try? parsedTarget())?.port != 53 {
            throw ValidationError("--proto udp to a port other than 53 needs --payload (what the service answers)")
        }
        if transport == .tcp, payload != nil { throw ValidationError("--payload is for --proto udp") }
        if range.low == 0 { throw ValidationError("--range must start at 1 or above") }
    }

    func parsedTarget() throws -> (address: IPAddress, port: UInt16) {
        var host = Substring(target)
        var portText = Substring("")
        if target.hasPrefix("["), let close = target.firstIndex(of: "]") {
            host = target[target.index(after: target.startIndex)..<close]
            let rest = target[target.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ValidationError("--target '\(target)': expected [IPv6]:PORT") }
            portText = rest.dropFirst()
        } else if let colon = target.lastIndex(of: ":"), target.firstIndex(of: ":") == colon {
            host = target[..<colon]
            portText = target[target.index(after: colon)...]
        } else {
            throw ValidationError("--target '\(target)': expected IPv4:PORT or [IPv6]:PORT")
        }
        guard let address = IPAddress(String(host)) else {
            throw ValidationError(
                "--target '\(target)': '\(host)' is not an IP address (names are not resolved: probes go only where you say)")
        }
        guard let port = UInt16(portText), port > 0 else { throw ValidationError("--target '\(target)': port must be 1-65535") }
        return (address, port)
    }

    func run() throws {
        let (address, port) = try parsedTarget()
        let probeRun = ReplyProbeRun(
            target: address, targetPort: port, transport: transport.socketTransport,
            payload: payload.map { Array($0.utf8) }, timeoutMilliseconds: Int32(timeout * 1000),
            rate: rate, range: range, maxProbes: maxProbes,
            seed: seed ?? UInt64.random(in: 0...UInt64.max), namespace: try namespace.resolve())
        let result = try probeRun.run(label: target)
        try reportOutput.emit(reportOutput.format == .json ? ProbeWriters.json(result) : ProbeWriters.text(result, hints: .flags))
        if result.unreachable {
            EntryPoint.fail(
                "target \(target) (\(transport.rawValue)) answered on no port in \(result.probes) probe(s): unreachable, not a firewall verdict",
                .environment)
        }
        if let saveProfile {
            guard let text = ProbeWriters.profile(result, generatedAt: SystemClock.rfc3339(SystemClock.wallNanoseconds()), hints: .flags)
            else {
                EntryPoint.fail("no port came back: nothing to save in \(saveProfile)", .environment)
            }
            try AtomicFileWriter.write(text, to: saveProfile)
            reportOutput.wrote(saveProfile, what: "profile")
        }
        if !result.blocked.ranges.isEmpty { throw ExitStatus.violations.exitCode }
    }
}

/// `--proto` of `probe`.
enum ProbeTransport: String, CaseIterable, ExpressibleByArgument {
    case tcp
    case udp

    var socketTransport: ReplyProbeSocket.Transport { self == .tcp ? .tcp : .udp }
}
