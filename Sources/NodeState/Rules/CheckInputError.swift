/// A rule set or setting given to `check` that cannot be used: one line
/// naming the file (or source) and what is wrong with it. Exit status 2.
public struct CheckInputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file path, or the command whose output it was.
    public var origin: String
    public var reason: String

    public init(origin: String, reason: String) {
        self.origin = origin
        self.reason = reason
    }

    public var description: String { "\(origin): \(reason)" }
}

/// The machine cannot read live rules: a tool is missing or failed.
/// Exit status 3.
public struct CheckEnvironmentError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
