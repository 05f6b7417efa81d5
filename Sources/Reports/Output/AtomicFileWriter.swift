import Conntrack
import Glibc

/// A report file that could not be written. Nothing was left at the path:
/// either the old file is still there, untouched, or the new one is complete.
public struct FileWriteError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "cannot write \(path): \(operation): \(String(cString: strerror(errno)))"
    }
}

/// Replaces a file in one step, so a reader (node_exporter's textfile
/// collector, a web server, a log shipper) sees the old file or the new one,
/// never half of either.
///
/// The bytes go to a temporary file in the same directory (rename is atomic
/// only within one filesystem), are fsynced, then renamed over the target and
/// the directory is fsynced so the rename survives a crash. The temporary name
/// starts with a dot and does not end in `.prom`, so the textfile collector
/// never reads it. It is created with O_EXCL|O_NOFOLLOW, so a planted file or
/// symlink cannot redirect the write, and removed on every failure.
public enum AtomicFileWriter {
    /// Permissions before the umask: readable by the collector, writable by us.
    static let mode: mode_t = 0o644

    public static func write(_ text: String, to path: String) throws(FileWriteError) {
        var bytes = Array(text.utf8)
        try write(bytes: &bytes, to: path)
    }

    public static func write(bytes: inout [UInt8], to path: String) throws(FileWriteError) {
        let (directory, name) = split(path)
        guard !name.isEmpty else { throw FileWriteError(path: path, operation: "not a file name", errno: EISDIR) }
        let (descriptor, temporary) = try createTemporary(directory: directory, name: name, target: path)
        var closed = false
        func fail(_ operation: String, _ code: Int32) -> FileWriteError {
            if !closed { close(descriptor) }
            unlink(temporary)
            return FileWriteError(path: path, operation: operation, errno: code)
        }
        let written = bytes.withUnsafeBytes { buffer -> Int32 in
            var offset = 0
            while offset < buffer.count {
                switch SystemCall.retryingInterrupts({ Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset) }) {
                case .success(let count): offset += count
                case .failure(let error): return error.rawValue
                }
            }
            return 0
        }
        if written != 0 { throw fail("write", written) }
        if fsync(descriptor) != 0 { throw fail("fsync", errno) }
        closed = true
        if close(descriptor) != 0 { throw fail("close", errno) }
        if rename(temporary, path) != 0 { throw fail("rename", errno) }
        syncDirectory(directory)
    }

    /// Splits `a/b/c.prom` into (`a/b`, `c.prom`); a bare name lives in `.`.
    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func createTemporary(directory: String, name: String, target: String) throws(FileWriteError) -> (Int32, String) {
        var lastError: Int32 = EEXIST
        for _ in 0..<16 {
            let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let temporary = (directory == "/" ? "" : directory) + "/.\(name).\(getpid()).\(suffix).tmp"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if descriptor >= 0 { return (descriptor, temporary) }
            lastError = errno
            if lastError != EEXIST { break }
        }
        throw FileWriteError(path: target, operation: "create temporary file in \(directory)", errno: lastError)
    }

    /// Best effort: the data is already safe; this makes the new name durable.
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
