import Conntrack
import Glibc
import Reports

/// Where `watch` sends its records and summary as they happen: stdout, or
/// `--output FILE`, created (or emptied) before the watch starts so a path
/// that cannot be written fails at once. A stream is written as it goes,
/// not atomically: a watch stopped by a signal leaves every record so far.
final class ReportStream {
    private let descriptor: Int32
    private let path: String?
    private let quiet: Bool

    init(path: String?, quiet: Bool) throws {
        self.path = path
        self.quiet = quiet
        guard let path else {
            descriptor = STDOUT_FILENO
            return
        }
        let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard opened >= 0 else { throw FileWriteError(path: path, operation: "open", errno: errno) }
        descriptor = opened
    }

    deinit {
        if path != nil { close(descriptor) }
    }

    func write(_ text: String) {
        if path == nil && quiet { return }
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = SystemCall.retryingInterrupts { Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
                guard case .success(let count) = written else { return }
                offset += count
            }
        }
    }
}
