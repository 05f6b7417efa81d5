public import Policy
/// A range of original source ports that flows through the NAT rules start
/// with: a namespace's `net.ipv4.ip_local_port_range`, or one declared.
public struct PortSource: Hashable, Sendable, CustomStringConvertible {
    public enum Origin: String, Hashable, Sendable {
        /// `--port-range` on the command line (the pods' declared sysctl).
        case declared
        /// Read from a live network namespace.
        case namespace
        /// Not read: what the kernel gives every new network namespace.
        case kernelDefault = "kernel-default"
    }

    public var range: PortRange
    public var origin: Origin
    /// Who uses it: namespace names, "--port-range", "pods (assumed)".
    public var users: [String]

    public init(range: PortRange, origin: Origin, users: [String]) {
        self.range = range
        self.origin = origin
        self.users = users
    }

    /// The kernel's default for a namespace that has not set its own: 32768-60999.
    public static let kernelDefaultRange = PortRange(low: 32768, high: 60999)!

    public static let assumedPods = PortSource(
        range: kernelDefaultRange, origin: .kernelDefault,
        users: ["pods (kernel default for a new network namespace; not read)"]
    )

    public var description: String { "\(range.low)-\(range.high)" }
}
