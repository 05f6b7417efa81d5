public import SystemPackage

import Glibc

/// The one place a raw system call's `-1`/errno is read: `call` runs again
/// while a signal interrupts it (EINTR), and the outcome is its non-negative
/// result or the errno it failed with. Public: ConntrackAudit and the CLI
/// use it too, so no layer keeps its own EINTR loop.
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
}
