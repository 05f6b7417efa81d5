/// Reads per-namespace kernel settings without starting a process.
///
/// Files under /proc/sys/net and /proc/thread-self/net show the network
/// namespace of the thread that opens them, so they are opened inside
/// `NetworkNamespace.withEntered` and read after returning. Read-only.
public enum NamespaceSysctl {
    /// `net.ipv4.ip_local_port_range` of `namespace` (nil: the caller's own):
    /// the source ports its sockets pick when they do not bind one.
    public static func localPortRange(in namespace: NetworkNamespace?) throws -> (low: UInt16, high: UInt16) {
        let path = "/proc/sys/net/ipv4/ip_local_port_range"
        let text = try read(path, in: namespace)
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        guard numbers.count == 2 else {
            throw ConntrackError.system(operation: "parsing \(path) ('\(text)')", .invalidArgument)
        }
        return (min(numbers[0], numbers[1]), max(numbers[0], numbers[1]))
    }

    /// Whether the legacy (x_tables) `table` exists in `namespace`, from
    /// /proc/net/ip_tables_names or ip6_tables_names. Asking legacy
    /// iptables-save for a table that does not exist would create it.
    /// No file (the x_tables module is not loaded) is no table; a file that
    /// cannot be read (it is mode 0440 root: a non-root reader needs
    /// CAP_DAC_READ_SEARCH) throws, never "no table": rules that were not
    /// read must not make a verdict look clean.
    public static func legacyTableExists(_ table: String, ipv6: Bool, in namespace: NetworkNamespace?) throws(ConntrackError) -> Bool {
        let file = ipv6 ? "ip6_tables_names" : "ip_tables_names"
        let text: String
        do {
            text = try read("/proc/thread-self/net/\(file)", in: namespace)
        } catch ConntrackError.permissionDenied {
            throw .permissionDenied(
                operation:
                    "reading /proc/net/\(file) (which legacy iptables tables exist; mode 0440: as non-root it needs CAP_DAC_READ_SEARCH)")
        } catch {
            if case .system(_, let errno) = error, errno == .noSuchFileOrDirectory { return false }
            throw error
        }
        return text.split(separator: "\n").contains { $0 == table }
    }

    /// The content of a procfs file as seen from `namespace`, without its
    /// trailing newlines.
    public static func read(_ path: String, in namespace: NetworkNamespace?) throws(ConntrackError) -> String {
        var text: String
        do {
            text = try BoundedFile.text(path, limit: .kernelFile, in: namespace)
        } catch {
            switch error.kind {
            case .namespace(let reason): throw reason
            case .permissionDenied: throw ConntrackError.permissionDenied(operation: "reading \(path)")
            case .openFailed, .notFound, .isDirectory, .isDevice: throw ConntrackError.system(operation: "open \(path)", error.errno)
            case .readFailed, .tooLarge: throw ConntrackError.system(operation: "read \(path)", error.errno)
            }
        }
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
