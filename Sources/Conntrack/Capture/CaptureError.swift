/// A capture file that cannot be read: missing, not a pcap/pcapng file, or
/// of a link type ctaudit does not decode. Bad input, never the environment.
public struct CaptureError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}
