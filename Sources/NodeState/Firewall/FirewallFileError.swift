/// A `--firewall` file that cannot be used: the file, where in it (a line
/// or a JSON path), and what was expected. Exit status 2.
public struct FirewallFileError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    /// `line 12` or `$.firewall.rules.input[2].dst_port`.
    public var location: String?
    public var message: String

    public init(path: String, location: String? = nil, message: String) {
        self.path = path
        self.location = location
        self.message = message
    }

    public var description: String {
        if let location { return "\(path): \(location): \(message)" }
        return "\(path): \(message)"
    }
}
