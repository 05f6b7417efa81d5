import Conntrack
import Glibc

/// Reads a file or standard input line by line without holding it whole:
/// a line is cut at `maximumLineBytes` (the rest skipped and the cut said),
/// and reading stops after `maximumLines` (the caller says so).
public struct BoundedLineReader: Sendable {
    public var maximumLineBytes: Int
    public var maximumLines: Int

    public init(maximumLineBytes: Int = 8192, maximumLines: Int = 100_000) {
        self.maximumLineBytes = maximumLineBytes
        self.maximumLines = maximumLines
    }

    /// What a read saw.
    public struct Outcome: Hashable, Sendable {
        public var lines = 0
        /// Lines longer than the bound (cut).
        public var cutLines = 0
        /// Reading stopped at `maximumLines` with input left.
        public var stoppedAtLimit = false
        public init() {}
    }

    /// `path` "-" reads standard input.
    public func read(_ path: String, _ body: (Substring) -> Void) throws(InputFileError) -> Outcome {
        let descriptor: Int32
        if path == "-" {
            descriptor = 0
        } else {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw InputFileError(path: path, reason: String(cString: strerror(errno))) }
        }
        defer { if descriptor != 0 { close(descriptor) } }
        var outcome = Outcome()
        var line: [UInt8] = []
        var cut = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        func finish() -> Bool {
            if outcome.lines >= maximumLines {
                outcome.stoppedAtLimit = true
                return false
            }
            outcome.lines += 1
            if cut { outcome.cutLines += 1 }
            body(Substring(String(decoding: line, as: UTF8.self)))
            line.removeAll(keepingCapacity: true)
            cut = false
            return true
        }
        reading: while true {
            let result = buffer.withUnsafeMutableBytes { bytes in
                SystemCall.retryingInterrupts { Glibc.read(descriptor, bytes.baseAddress, bytes.count) }
            }
            let count: Int
            switch result {
            case .success(let read): count = read
            case .failure(let error):
                throw InputFileError(path: path == "-" ? "standard input" : path, reason: String(cString: strerror(error.rawValue)))
            }
            if count == 0 { break }
            for byte in buffer[0..<count] {
                if byte == 0x0A {
                    if !finish() { break reading }
                } else if line.count < maximumLineBytes {
                    line.append(byte)
                } else {
                    cut = true
                }
            }
        }
        if !line.isEmpty && !outcome.stoppedAtLimit { _ = finish() }
        return outcome
    }
}
