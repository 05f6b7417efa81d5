public import Conntrack
import Glibc
import SystemPackage

/// Where a node's files are: `/` on the node itself, or a copied tree
/// (`--root DIR`) for tests and offline reviews.
///
/// Only files are relocated (CNI config, flannel and Calico files, host-local
/// IPAM state, container runtime state, and a copied `proc/net/route`). Live
/// kernel state — network namespaces, processes, sysctls, the conntrack
/// table — always belongs to the machine ctaudit runs on.
public struct NodeRoot: Hashable, Sendable, CustomStringConvertible {
    /// The directory node paths are resolved under, without a trailing slash ("" for /).
    public let prefix: String

    public static let host = NodeRoot("/")

    public init(_ directory: String) {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        prefix = trimmed == "/" ? "" : trimmed
    }

    /// Whether this is the running machine's own file system.
    public var isHost: Bool { prefix.isEmpty }

    public var description: String { isHost ? "/" : prefix }

    /// The real path of a node path (`/etc/cni/net.d` -> `ROOT/etc/cni/net.d`).
    public func path(_ nodePath: String) -> String { prefix + nodePath }

    /// A file's text; nil when it does not exist or cannot be read.
    /// A node file whole, or why it could not be read whole.
    public func read(_ nodePath: String, limit: BoundedFile.Limit = .nodeFile) throws(FileReadError) -> String {
        try BoundedFile.text(path(nodePath), limit: limit)
    }

    /// Names in a directory (no `.`/`..`), sorted; empty when it does not exist.
    public func list(_ nodePath: String) -> [String] {
        NodeFiles.list(path(nodePath))
    }

    public func exists(_ nodePath: String) -> Bool {
        access(path(nodePath), F_OK) == 0
    }
}

/// Small read-only file helpers over libc, for files of a node and /proc.
package enum NodeFiles {
    /// A whole file through the one bounded reader; nil when it cannot be
    /// read whole (missing, unreadable, or past `limit`: never a truncated text).
    static func read(_ path: String, limit: BoundedFile.Limit = .kernelFile) -> String? {
        try? BoundedFile.text(path, limit: limit)
    }

    package static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// The target of a symbolic link, or the errno that says why not.
    static func readLinkOrErrno(_ path: String) -> (target: String?, errno: Int32) {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count >= 0 else { return (nil, errno) }
        return (String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self), 0)
    }

    /// The inode of a file (for nsfs files: the namespace's identity).
    package static func inode(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
