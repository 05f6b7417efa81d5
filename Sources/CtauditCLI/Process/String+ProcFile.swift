import Conntrack
import Glibc

extension String {
    /// Reads a small file from /proc (whose files report size 0).
    init(readingProcFile path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw MetricsServerError(address: nil, operation: "cannot read \(path)", errno: errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let read = SystemCall.retryingInterrupts { chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) } }
            guard case .success(let count) = read, count > 0 else { break }
            bytes += chunk[0..<count]
        }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
