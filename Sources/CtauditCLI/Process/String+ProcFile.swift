import Conntrack

extension String {
    /// Reads a file from /proc (whose files report size 0) through the one bounded reader.
    init(readingProcFile path: String) throws {
        do {
            self = try BoundedFile.text(path, limit: .kernelFile)
        } catch {
            throw MetricsServerError(address: nil, operation: "cannot read \(path)", errno: error.errno.rawValue)
        }
    }
}
