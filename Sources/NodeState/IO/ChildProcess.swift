import Conntrack
import Glibc

/// Runs a listing command (nft, iptables-save) and collects its output with
/// posix_spawn, poll and waitpid. Foundation's Process was seen never
/// noticing its child's exit inside a user namespace (the child stayed a
/// zombie and `audit` hung); this has no monitor thread to miss it.
enum ChildProcess {
    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    enum Failure: Error, CustomStringConvertible {
        /// posix_spawn or pipe failed.
        case spawn(errno: Int32)
        /// The child wrote more than the limit: stopped, its output dropped
        /// (the same limit policy as every file ctaudit reads).
        case outputTooLarge(BoundedFile.Limit)

        var description: String {
            switch self {
            case .spawn(let errno): String(cString: strerror(errno))
            case .outputTooLarge(let limit): "its output is larger than \(limit)"
            }
        }
    }

    static func run(
        _ executable: String, _ arguments: [String], limit: BoundedFile.Limit = .namedInput
    ) throws(Failure) -> Result {
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw Failure.spawn(errno: errno) }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0])
            close(outPipe[1])
            throw Failure.spawn(errno: errno)
        }
        // The child gets them as 1 and 2 (dup2 clears the flag there); no
        // other child may inherit them, or EOF would never come.
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw Failure.spawn(errno: spawned)
        }
        var result = Result(status: -1, stdout: [], stderr: [])
        // Read both pipes until both are closed, so neither can fill up and block the child.
        var fds = [
            pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0),
            pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0),
        ]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var overflowed = false
        while !overflowed && fds.contains(where: { $0.fd >= 0 }) {
            guard case .success = SystemCall.retryingInterrupts({ poll(&fds, nfds_t(fds.count), -1) }) else { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let fd = fds[index].fd
                switch SystemCall.retryingInterrupts({ buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }) {
                case .success(let count) where count > 0:
                    if index == 0 { result.stdout += buffer[..<count] } else { result.stderr += buffer[..<count] }
                    if result.stdout.count + result.stderr.count > limit.bytes { overflowed = true }
                case .failure(.resourceTemporarilyUnavailable):
                    break
                case .success, .failure:
                    close(fd)
                    fds[index].fd = -1
                }
            }
        }
        for entry in fds where entry.fd >= 0 { close(entry.fd) }
        if overflowed { kill(pid, SIGKILL) }
        var status: Int32 = 0
        _ = SystemCall.retryingInterrupts { waitpid(pid, &status, 0) }
        // WIFEXITED / WEXITSTATUS, spelled out (they are macros in C).
        result.status = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        if overflowed { throw Failure.outputTooLarge(limit) }
        return result
    }
}
