import ArgumentParser
import Foundation

/// Files the CLI writes (--output, --textfile): a path whose directory is
/// missing is a typing mistake, said (exit 2) before any work, not after the
/// table was read or the watch ran.
enum OutputPath {
    static func validateDirectory(of path: String?, option: String) throws {
        guard let path else { return }
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        let target = directory.isEmpty ? "." : directory
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(option) \(path): directory \(target) does not exist")
        }
    }
}
