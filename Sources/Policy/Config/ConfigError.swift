/// A config file or profile the user gave that cannot be used. One line,
/// `FILE:LINE: what is wrong`, so an editor can jump to it.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file, or nil for a problem with a command-line flag (e.g. `--profile`).
    public var path: String?
    public var line: Int?
    public var message: String

    public init(path: String?, line: Int?, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        switch (path, line) {
        case let (path?, line?): "\(path):\(line): \(message)"
        case let (path?, nil): "\(path): \(message)"
        default: message
        }
    }
}
