import Glibc

/// Counts the processes whose `/proc/PID/ns/net` the namespace scan was not
/// allowed to read, so that one warning says why pods went unnamed, instead
/// of silence (the scan only sees fewer namespaces) or one line per process.
///
/// Reading another process's namespace link is a ptrace-mode access check:
/// it needs the same user and no more capabilities than the target, or
/// CAP_SYS_PTRACE, and an LSM (AppArmor's container profiles, Yama) may
/// refuse it even then. Processes that exit during the scan are not denials.
struct ProcessAccessDenials: Hashable, Sendable {
    /// Processes whose link was read or refused (vanished ones not counted).
    private(set) var processes = 0
    /// Of those, refused with EACCES or EPERM.
    private(set) var denied = 0

    /// One process's outcome: nil when the link was read, else the errno.
    mutating func record(_ error: Int32?) {
        guard let error else {
            processes += 1
            return
        }
        switch error {
        case EACCES, EPERM:
            processes += 1
            denied += 1
        default:
            // ENOENT/ESRCH: the process exited between readdir and readlink.
            // Anything else is not a permission problem this warning explains.
            break
        }
    }

    /// The single warning, when any process was refused.
    var warning: KubernetesWarning? {
        guard denied > 0 else { return nil }
        return KubernetesWarning(
            subject: "/proc/PID/ns/net",
            message: "permission denied for \(denied) of \(processes) processes (needs root with CAP_SYS_PTRACE; "
                + "an LSM such as AppArmor can still refuse); pods seen only through those processes are not named "
                + "and their port ranges not checked")
    }
}
