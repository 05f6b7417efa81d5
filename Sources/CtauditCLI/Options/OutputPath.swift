import ArgumentParser
import Glibc

/// Files the CLI writes (--output, --textfile): a path whose directory is
/// missing is a typing mistake, said (exit 2) before any work, not after the
/// table was read or the watch ran.
enum OutputPath {
    static func validateDirectory(of path: String?, option: String) throws {
        guard let path else { return }
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? ""
        let target = directory.isEmpty ? "." : directory
        var info = stat()
        guard stat(target, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw ValidationError("\(option) \(path): directory \(target) does not exist")
        }
    }
}
