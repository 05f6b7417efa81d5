/// Something on the node that could not be used (a broken CNI file, a
/// namespace that could not be entered). Never fatal: the audit goes on with
/// what it could read, and says what it skipped.
public struct KubernetesWarning: Hashable, Sendable, CustomStringConvertible {
    /// The file or namespace concerned, as a node path.
    public var subject: String
    public var message: String

    public init(subject: String, message: String) {
        self.subject = subject
        self.message = message
    }

    public var description: String { "\(subject): \(message)" }
}
