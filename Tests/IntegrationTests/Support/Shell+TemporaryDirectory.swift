import Foundation

extension Shell {
    /// A new, empty directory under the system's temporary directory; the caller removes it.
    static func temporaryDirectory(prefix: String = "ctaudit-cli") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
