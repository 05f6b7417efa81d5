import ArgumentParser
import Conntrack
import Engines
import NodeState
import Policy
import Reports

/// ctaudit's documented exit codes.
enum ExitStatus: Int32, CaseIterable {
    case clean = 0
    case violations = 1
    case usage = 2
    case environment = 3
    /// A verdict ctaudit could not make: a firewall rule it cannot judge
    /// decides some flows (audit, watch, merge) or predicted ports (check),
    /// and nothing is known to fail. Not 0 (that would call it clean), not 1
    /// (that would call it a violation and page someone over what ctaudit
    /// could not read), not 3 (ctaudit ran fine: the environment is not the
    /// problem). The fix is to read the rule by hand, or give ctaudit what
    /// it lacks (iptables-save instead of nft -j for xt matches).
    case uncertain = 4

    var exitCode: ExitCode { ExitCode(rawValue) }

    /// Which code an error that reached the top means: the one place that
    /// decides. Commands throw the libraries' errors as they are. Every error
    /// type a library can let escape is named here (CLITests checks the
    /// sources for one that is not); an unknown error is the environment's.
    static func of(_ error: any Error) -> ExitStatus {
        switch error {
        // The command line itself.
        case is ValidationError: .usage
        case is PolicyError: .usage
        case is PolicyLayers.Conflict: .usage
        // Bad input: a config file, rules to check, a firewall file, a report to merge, any named file.
        case is ConfigError: .usage
        case is StrictYAML.SyntaxError: .usage
        case is CheckInputError: .usage
        case is FirewallFileError: .usage
        case is InputFileError: .usage
        case is FileReadError: .usage
        case is JSONDocument.ParseError: .usage
        case is DataplaneConfig.ParseError: .usage
        case is Endpoint.ParseError: .usage
        case is CaptureError: .usage
        // The machine: tools, permissions, the kernel, the network, the disk.
        case is CheckEnvironmentError: .environment
        case is BPFError: .environment
        case is DecodeError: .environment
        case is WatchError: .environment
        case is FileWriteError: .environment
        case is MetricsServerError: .environment
        case let error as ConntrackError: of(error)
        default: .environment
        }
    }

    /// A namespace *name* that cannot be one is a usage mistake; everything
    /// else the kernel or a namespace refuses is the environment's.
    static func of(_ error: ConntrackError) -> ExitStatus {
        switch error {
        case .invalidNamespaceName: .usage
        case .permissionDenied, .conntrackUnavailable, .namespaceEntryDenied, .namespaceNotFound, .notANetworkNamespace,
            .namespaceRestoreFailed, .system, .receiveOverrun, .malformedDatagram:
            .environment
        }
    }
}
