import ArgumentParser
import Conntrack
import ConntrackAudit

/// ctaudit's documented exit codes.
enum ExitStatus: Int32 {
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
    /// decides. Commands throw the libraries' errors as they are.
    static func of(_ error: any Error) -> ExitStatus {
        switch error {
        case is PolicyError, is ValidationError: .usage
        // Bad input: a config file, a report to merge, rules to check, a file that cannot be read.
        case is ConfigError, is CheckInputError, is InputFileError: .usage
        case is CheckEnvironmentError: .environment
        case let error as ConntrackError:
            switch error {
            case .invalidNamespaceName: .usage
            default: .environment
            }
        default: .environment
        }
    }
}
