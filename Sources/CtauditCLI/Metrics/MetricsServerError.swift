import Glibc

/// `--listen` could not be used: a bad address, or the socket calls failed.
struct MetricsServerError: Error, CustomStringConvertible {
    var address: ListenAddress?
    var operation: String
    var errno: Int32

    var description: String {
        guard let address else { return operation }
        return "cannot listen on \(address): \(operation): \(String(cString: strerror(errno)))"
    }
}
