import Engines
import Glibc

// The write end of the self-pipe, read by the handler. A plain global: the
// handler may run on any thread at any time and can touch nothing else.
nonisolated(unsafe) private var stopSignalPipe: Int32 = -1

/// The signal handler: writes the signal number into the self-pipe. Only
/// async-signal-safe calls (write), and errno is preserved.
private let stopSignalHandler: @convention(c) (Int32) -> Void = { signal in
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(stopSignalPipe, &byte, 1)
    errno = saved
}

/// Turns SIGINT and SIGTERM into a readable descriptor (the self-pipe trick),
/// so a single-threaded poll loop can stop cleanly and print its summary.
/// Works whichever thread the kernel delivers the signal to.
///
/// One instance at a time; `deinit` restores the previous handlers.
final class WatchStopSignals {
    static let stopping: [Int32] = [SIGINT, SIGTERM]

    /// Readable once a stop signal arrived; poll it with the event socket.
    let descriptor: Int32
    private let writeEnd: Int32
    private var previous: [(Int32, sigaction)] = []

    init() throws(WatchError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .system("creating the signal pipe", errno) }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        descriptor = ends[0]
        writeEnd = ends[1]
        stopSignalPipe = writeEnd
        for signal in Self.stopping {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = stopSignalHandler
            sigemptyset(&action.sa_mask)
            // No SA_RESTART: a blocked poll should return at once.
            action.sa_flags = 0
            var old = sigaction()
            if sigaction(signal, &action, &old) == 0 { previous.append((signal, old)) }
        }
        // A blocked mask survives exec: a parent that blocked these (test
        // runners, some supervisors) would leave Ctrl-C pending forever.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signal in Self.stopping { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    deinit {
        restoreDefaults()
        stopSignalPipe = -1
        close(descriptor)
        close(writeEnd)
    }

    /// The stop signal received, if any (reads the pipe without blocking).
    func received() -> Int32? {
        var byte: UInt8 = 0
        guard read(descriptor, &byte, 1) == 1 else { return nil }
        return Int32(byte)
    }

    /// Restores the handlers that were installed before, so a second Ctrl-C
    /// while the summary is being written ends the process at once.
    func restoreDefaults() {
        for (signal, old) in previous {
            var old = old
            sigaction(signal, &old, nil)
        }
        previous = []
    }
}
