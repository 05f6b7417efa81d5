import Conntrack
import Glibc

/// Writes to stdout/stderr with write(2): no shared FILE* state, so nothing
/// to guard under strict concurrency, and nothing buffered if we exit.
enum Console {
    static func out(_ text: String) { write(text, to: STDOUT_FILENO) }
    static func error(_ text: String) { write(text, to: STDERR_FILENO) }

    static func out(bytes: UnsafeBufferPointer<UInt8>) { write(bytes, to: STDOUT_FILENO) }

    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { write($0, to: descriptor) }
    }

    private static func write(_ bytes: UnsafeBufferPointer<UInt8>, to descriptor: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = SystemCall.retryingInterrupts { Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            guard case .success(let count) = written else { return }
            offset += count
        }
    }
}
