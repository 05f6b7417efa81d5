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
    /// The first refused processes, as `1234 (comm)`, so the warning says
    /// which ones (a handful; the count says how many more).
    private(set) var deniedProcesses: [String] = []
    static let namedLimit = 5

    /// One process's outcome: nil when the link was read, else the errno.
    /// `comm` is the process's name (/proc/PID/comm), when readable.
    mutating func record(_ error: Int32?, pid: Int32? = nil, comm: String? = nil) {
        guard let error else {
            processes += 1
            return
        }
        switch error {
        case EACCES, EPERM:
            processes += 1
            denied += 1
            if let pid, deniedProcesses.count < Self.namedLimit {
                // /proc/PID/comm stays readable when the namespace link is not.
                let name = comm ?? NodeFiles.read("/proc/\(pid)/comm")?.split(separator: "\n").first.map(String.init)
                deniedProcesses.append(name.map { "\(pid) (\($0))" } ?? "\(pid)")
            }
        default:
            // ENOENT/ESRCH: the process exited between readdir and readlink.
            // Anything else is not a permission problem this warning explains.
            break
        }
    }

    /// The single warning, when any process was refused.
    var warning: KubernetesWarning? {
        guard denied > 0 else { return nil }
        var which = ""
        if !deniedProcesses.isEmpty {
            which =
                ": " + deniedProcesses.joined(separator: ", ")
                + (denied > deniedProcesses.count ? " and \(denied - deniedProcesses.count) more" : "")
        }
        return KubernetesWarning(
            subject: "/proc/PID/ns/net",
            message: "permission denied for \(denied) of \(processes) processes\(which) (needs root with CAP_SYS_PTRACE; "
                + "an LSM such as AppArmor can still refuse); pods seen only through those processes are not named "
                + "and their port ranges not checked")
    }
}
