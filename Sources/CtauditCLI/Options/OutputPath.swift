import ArgumentParser
import Glibc

/// Files the CLI writes (--output, --textfile, --save-profile): a path that
/// cannot be written is a typing mistake, said (exit 2) before any work,
/// not after the table was read, the watch ran or the probes were sent.
enum OutputPath {
    static func validate(_ path: String?, option: String) throws {
        guard let path else { return }
        guard !path.isEmpty else { throw ValidationError("\(option): empty file name") }
        let (directory, name) = AtomicFileWriterPath.split(path)
        var info = stat()
        guard stat(directory, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("\(option) \(path): directory \(directory) does not exist")
        }
        if name.isEmpty || name == "." || name == ".." {
            throw ValidationError("\(option) \(path): is a directory, not a file name")
        }
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw ValidationError("\(option) \(path): is a directory, not a file name")
        }
        // The report goes to a temporary file in that directory, then is renamed.
        if access(directory, W_OK | X_OK) != 0 {
            throw ValidationError("\(option) \(path): cannot write in \(directory): \(String(cString: strerror(errno)))")
        }
    }
}

/// The directory and name of a path, as the atomic writer splits it.
enum AtomicFileWriterPath {
    static func split(_ path: String) -> (directory: String, name: String) {
        var trimmed = Substring(path)
        // "dir/" names the directory itself: no file name left.
        if trimmed.hasSuffix("/") { return (String(trimmed), "") }
        guard let slash = trimmed.lastIndex(of: "/") else { return (".", path) }
        let directory = trimmed[..<slash]
        trimmed = trimmed[trimmed.index(after: slash)...]
        return (directory.isEmpty ? "/" : String(directory), String(trimmed))
    }
}

/// Files the CLI reads (--config, --firewall, --iptables-save, ...): one
/// that is missing, a directory or unreadable is exit 2 before any work.
enum InputPath {
    static func validate(_ path: String?, option: String) throws {
        guard let path else { return }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ValidationError("\(option) \(path): \(errno == ENOENT ? "no such file" : String(cString: strerror(errno)))")
        }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ValidationError("\(option) \(path): is a directory, not a file") }
        // access(2), not open(2): a FIFO or /dev/fd/N (process substitution)
        // is read once, later, by the command itself.
        guard access(path, R_OK) == 0 else {
            throw ValidationError("\(option) \(path): permission denied")
        }
    }

    static func validate(_ paths: [String], option: String) throws {
        for path in paths { try validate(path, option: option) }
    }

    /// A directory the CLI reads (--root, --bpffs).
    static func validateDirectory(_ path: String?, option: String) throws {
        guard let path else { return }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ValidationError("\(option) \(path): not a directory")
        }
    }
}
