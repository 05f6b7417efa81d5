import Glibc

/// `--listen ADDR:PORT`: `0.0.0.0:9814`, `127.0.0.1:9814`, `[::]:9814`, `:9814` (every address, IPv4 and IPv6),
/// `localhost:9814` (127.0.0.1: the only name accepted; nothing is resolved).
struct ListenAddress: CustomStringConvertible, Sendable {
    var host: String
    var port: UInt16
    var isIPv6: Bool
    var ipv4 = in_addr()
    var ipv6 = in6_addr()

    init(parsing text: String) throws(MetricsServerError) {
        let invalid = MetricsServerError(
            address: nil,
            operation:
                "invalid --listen '\(text)': expected ADDR:PORT, e.g. 0.0.0.0:9814, [::]:9814, localhost:9814 or :9814 (an address, not a host name)",
            errno: 0)
        // Port 0: the kernel picks one (-v prints it).
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { throw invalid }
        var host = String(text[..<colon])
        // As every HTTP server takes it; loopback IPv4, where a sidecar or
        // node-local agent scrapes. Any other name would need a resolver.
        if host.lowercased() == "localhost" { host = "127.0.0.1" }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            isIPv6 = true
        } else {
            isIPv6 = host.isEmpty || host.contains(":")
        }
        if host.isEmpty { host = "::" }
        self.host = host
        self.port = port
        let parsed = isIPv6 ? inet_pton(AF_INET6, host, &ipv6) : inet_pton(AF_INET, host, &ipv4)
        guard parsed == 1 else { throw invalid }
    }

    var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
