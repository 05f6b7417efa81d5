import Conntrack
import Glibc

/// Why a file named on the command line could not be read or used (not
/// the report or rules it should hold); `reason` is the part after "PATH: "
/// in the one-line error. Exit status 2.
public struct InputFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// Reads a file a person named (a config, a rules dump, an audit report)
/// whole, refusing what cannot be one: a directory, a device (`/dev/zero`
/// would never end), or more than `limit` bytes. Pipes and process
/// substitution (`<(iptables-save -t nat)`) work. Nothing is interpreted here.
public enum InputFile {
    /// Far above any real input (a 10k-service kube-proxy nat table is ~20 MiB
    /// as iptables-save text), far below what would exhaust a node's memory.
    public static let defaultLimit = 128 << 20

    public static func read(_ path: String, limit: Int = defaultLimit) throws(InputFileError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            let reason = switch code {
            case ENOENT: "no such file"
            case EACCES, EPERM: "permission denied"
            default: "cannot open: \(String(cString: strerror(code)))"
            }
            throw InputFileError(path: path, reason: reason)
        }
        defer { close(descriptor) }
        return try read(descriptor: descriptor, name: path, limit: limit)
    }

    /// Reads an already open descriptor to its end (standard input for `-`).
    public static func read(descriptor: Int32, name: String, limit: Int = defaultLimit) throws(InputFileError) -> [UInt8] {
        var info = stat()
        if fstat(descriptor, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: throw InputFileError(path: name, reason: "is a directory")
            case S_IFCHR, S_IFBLK: throw InputFileError(path: name, reason: "is a device, not a file")
            case S_IFREG where Int(info.st_size) > limit: throw tooLarge(name, limit)
            default: break
            }
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = SystemCall.retryingInterrupts {
                chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            }
            let count: Int
            switch read {
            case .success(let value): count = value
            case .failure(let error): throw InputFileError(path: name, reason: "cannot read: \(String(cString: strerror(error.rawValue)))")
            }
            if count == 0 { return bytes }
            // A pipe or a growing file can exceed what fstat said.
            guard bytes.count + count <= limit else { throw tooLarge(name, limit) }
            bytes += chunk[0..<count]
        }
    }

    private static func tooLarge(_ name: String, _ limit: Int) -> InputFileError {
        InputFileError(path: name, reason: "larger than \(limit >> 20) MiB; is it the right file?")
    }
}
