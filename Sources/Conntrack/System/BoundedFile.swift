import Glibc
public import SystemPackage

/// The one way ctaudit reads a file or a pipe to its end: every config,
/// rules dump, report, node file and procfs file goes through here. One
/// policy at the limit: past it the read fails with `.tooLarge`, never a
/// silently shortened text. A directory or a device (`/dev/zero` never ends)
/// is refused before any byte is read; pipes and `<(...)` work.
public enum BoundedFile {
    /// How much a kind of file may hold. Each is far above any real file of
    /// its kind and far below what would exhaust a node's memory.
    public enum Limit: Sendable, Hashable, CustomStringConvertible {
        /// procfs and sysfs files (a sysctl, a netlink socket table, a
        /// namespace's fib_trie on a node with many routes).
        case kernelFile
        /// Files of the node read by discovery (CNI configs, runtime state).
        case nodeFile
        /// Files a person names on the command line, and child process output
        /// (a 10k-service kube-proxy nat table is ~20 MiB of iptables-save text).
        case namedInput
        /// An explicit number of bytes (tests, tiny state files).
        case bytes(Int)

        public var bytes: Int {
            switch self {
            case .kernelFile: 64 << 20
            case .nodeFile: 16 << 20
            case .namedInput: 128 << 20
            case .bytes(let count): count
            }
        }

        public var description: String {
            bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
        }
    }

    /// Opens `path` (inside `namespace` when given: procfs files under
    /// /proc/thread-self/net show the namespace of the thread that opens
    /// them) and reads it whole.
    public static func read(
        _ path: String, limit: Limit, in namespace: NetworkNamespace? = nil
    ) throws(FileReadError) -> [UInt8] {
        let opened: Result<FileDescriptor, Errno>
        if let namespace {
            do {
                opened = try namespace.withEntered { SystemCall.open(path, flags: O_RDONLY) }
            } catch let error as ConntrackError {
                throw FileReadError(path: path, kind: .namespace(error))
            } catch {
                throw FileReadError(path: path, kind: .namespace(.system(operation: "entering the namespace", .ioError)))
            }
        } else {
            opened = SystemCall.open(path, flags: O_RDONLY)
        }
        let descriptor: FileDescriptor
        switch opened {
        case .success(let value): descriptor = value
        case .failure(let errno): throw FileReadError(path: path, kind: .init(opening: errno))
        }
        defer { try? descriptor.close() }
        return try read(descriptor, name: path, limit: limit)
    }

    /// Reads an open descriptor from its current offset to its end
    /// (standard input for `-`, a file kept open and rewound).
    public static func read(_ descriptor: FileDescriptor, name: String, limit: Limit) throws(FileReadError) -> [UInt8] {
        var info = stat()
        if fstat(descriptor.rawValue, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: throw FileReadError(path: name, kind: .isDirectory)
            case S_IFCHR, S_IFBLK: throw FileReadError(path: name, kind: .isDevice)
            case S_IFREG where Int(info.st_size) > limit.bytes: throw FileReadError(path: name, kind: .tooLarge(limit))
            default: break
            }
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count: Int
            switch SystemCall.retryingInterrupts({
                chunk.withUnsafeMutableBytes { Glibc.read(descriptor.rawValue, $0.baseAddress, $0.count) }
            }) {
            case .success(let value): count = value
            case .failure(let errno): throw FileReadError(path: name, kind: .readFailed(errno))
            }
            if count == 0 { return bytes }
            // A pipe, a procfs file (size 0) or a growing file can exceed what fstat said.
            guard bytes.count + count <= limit.bytes else { throw FileReadError(path: name, kind: .tooLarge(limit)) }
            bytes += chunk[0..<count]
        }
    }

    /// `read` as text; invalid UTF-8 is repaired (these files are ASCII in practice).
    public static func text(_ path: String, limit: Limit, in namespace: NetworkNamespace? = nil) throws(FileReadError) -> String {
        String(decoding: try read(path, limit: limit, in: namespace), as: UTF8.self)
    }
}

/// Why `BoundedFile` could not read a file; `reason` is the part after
/// "PATH: " in a one-line error.
public struct FileReadError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case notFound
        case permissionDenied
        case isDirectory
        case isDevice
        case tooLarge(BoundedFile.Limit)
        case openFailed(Errno)
        case readFailed(Errno)
        /// The namespace to open it in could not be entered.
        case namespace(ConntrackError)

        init(opening errno: Errno) {
            switch errno {
            case .noSuchFileOrDirectory, .notDirectory: self = .notFound
            case .permissionDenied, .notPermitted: self = .permissionDenied
            default: self = .openFailed(errno)
            }
        }
    }

    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var reason: String {
        switch kind {
        case .notFound: "no such file"
        case .permissionDenied: "permission denied"
        case .isDirectory: "is a directory"
        case .isDevice: "is a device, not a file"
        case .tooLarge(let limit): "larger than \(limit); is it the right file?"
        case .openFailed(let errno): "cannot open: \(errno.description)"
        case .readFailed(let errno): "cannot read: \(errno.description)"
        case .namespace(let error): error.description
        }
    }

    public var description: String { "\(path): \(reason)" }

    /// The errno closest to the failure, for callers that report errnos.
    public var errno: Errno {
        switch kind {
        case .notFound: .noSuchFileOrDirectory
        case .permissionDenied: .permissionDenied
        case .isDirectory: .isDirectory
        case .isDevice: .operationNotSupportedByDevice
        case .tooLarge: .fileTooLarge
        case .openFailed(let errno), .readFailed(let errno): errno
        case .namespace: .ioError
        }
    }
}
