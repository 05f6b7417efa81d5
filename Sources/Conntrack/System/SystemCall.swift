import Glibc
public import SystemPackage

/// The one place an interrupted system call (EINTR) is handled: `call` runs
/// again while a signal interrupts it, and the outcome is its non-negative
/// result or the errno it failed with. Waits (`poll`, `sleep`) resume with
/// the time left. Public: every target uses it, so no layer keeps its own
/// EINTR loop (SystemCallTests checks the sources for one).
public enum SystemCall {
    @inline(__always)
    public static func retryingInterrupts<Value: FixedWidthInteger>(_ call: () -> Value) -> Result<Value, Errno> {
        while true {
            let value = call()
            if value >= 0 { return .success(value) }
            let errno = Errno(rawValue: Glibc.errno)
            if errno != .interrupted { return .failure(errno) }
        }
    }

    /// open(2) with O_CLOEXEC: a descriptor the caller owns and closes.
    public static func open(_ path: String, flags: Int32) -> Result<FileDescriptor, Errno> {
        retryingInterrupts { Glibc.open(path, flags | O_CLOEXEC) }.map { FileDescriptor(rawValue: $0) }
    }

    /// What a signal does to a wait.
    public enum InterruptPolicy: Sendable {
        /// Wait on with the time left (a probe's timeout stays its timeout).
        case resume
        /// Return at once with nothing ready (`.success(0)`), so that the
        /// caller's loop sees a flag the signal handler set (watch's stop signals).
        case returnNothingReady
    }

    /// poll(2) on `descriptors` for at most `timeoutMilliseconds` (-1: no limit).
    static func poll(
        _ descriptors: inout [pollfd], timeoutMilliseconds: Int32, onInterrupt: InterruptPolicy = .resume
    ) -> Result<Int32, Errno> {
        let deadline = timeoutMilliseconds < 0 ? nil : monotonicMilliseconds() + Int64(timeoutMilliseconds)
        var remaining = timeoutMilliseconds
        while true {
            let ready = Glibc.poll(&descriptors, nfds_t(descriptors.count), remaining)
            if ready >= 0 { return .success(ready) }
            let errno = Errno(rawValue: Glibc.errno)
            guard errno == .interrupted else { return .failure(errno) }
            if onInterrupt == .returnNothingReady { return .success(0) }
            if let deadline {
                remaining = Int32(clamping: max(0, deadline - monotonicMilliseconds()))
                if remaining == 0 { return .success(0) }
            }
        }
    }

    /// Sleeps `nanoseconds` whatever signals arrive meanwhile.
    public static func sleep(nanoseconds: UInt64) {
        var pause = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&pause, &remaining) != 0 && Errno(rawValue: Glibc.errno) == .interrupted { pause = remaining }
    }

    static func monotonicMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
