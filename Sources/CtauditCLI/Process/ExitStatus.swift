import ArgumentParser
import Conntrack

import Policy
import NodeState
import Engines

/// ctaudit's documented exit codes.
enum ExitStatus: Int32 {
    case clean = 0
    case violations = 1
    case usage = 2
    case environment = 3

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
