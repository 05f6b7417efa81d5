import Conntrack
import Glibc
import Synchronization

/// `watch --listen`: serves the latest metrics text on GET /metrics over
/// HTTP/1.1, one connection at a time, on a thread of its own.
///
/// Deliberately small: Prometheus and a kubelet readiness probe are the only
/// clients, each sends one request and reads one response, so every response
/// says `Connection: close`. A client gets 5 s to send its request head and
/// to read the answer; a slow one cannot hold the server longer. The socket
/// is opened before the watch enters any namespace, so it lives in ctaudit's
/// own network namespace even with --netns.
final class MetricsServer: @unchecked Sendable {
    /// Until the first publish (after the initial dump) /metrics answers 503,
    /// so a readiness probe passes only once the counters mean something.
    private let state = Mutex<(ready: Bool, body: [UInt8])>((false, []))
    private let listener: Int32
    /// Where it listens (the port the kernel chose for port 0).
    let address: ListenAddress

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    private static let maxRequestBytes = 8192
    private static let clientTimeoutSeconds = 5

    /// bind(2) to a `sockaddr_in` or `sockaddr_in6`.
    private static func bind<SocketAddress>(_ fd: Int32, to socketAddress: SocketAddress) -> Int32 {
        withUnsafePointer(to: socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<SocketAddress>.size))
            }
        }
    }

    init(_ address: ListenAddress) throws(MetricsServerError) {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError(address: address, operation: "socket", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if address.isIPv6 {
            var zero: Int32 = 0
            // [::] also takes IPv4 connections.
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &zero, socklen_t(MemoryLayout<Int32>.size))
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = address.port.bigEndian
            socketAddress.sin6_addr = address.ipv6
            bound = Self.bind(fd, to: socketAddress)
        } else {
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = address.port.bigEndian
            socketAddress.sin_addr = address.ipv4
            bound = Self.bind(fd, to: socketAddress)
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw MetricsServerError(address: address, operation: "bind", errno: code)
        }
        guard Glibc.listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw MetricsServerError(address: address, operation: "listen", errno: code)
        }
        listener = fd
        var actual = address
        var local = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset.
        if named == 0 { actual.port = UInt16(bigEndian: local.sin6_port) }
        self.address = actual
    }

    /// Starts serving on a new thread; it runs until the process exits.
    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &thread, nil,
            { context in
                let server = Unmanaged<MetricsServer>.fromOpaque(context!).takeRetainedValue()
                // The watch loop handles SIGINT/SIGTERM; keep them off this thread.
                var stopping = sigset_t()
                sigemptyset(&stopping)
                sigaddset(&stopping, SIGINT)
                sigaddset(&stopping, SIGTERM)
                pthread_sigmask(SIG_BLOCK, &stopping, nil)
                server.serve()
                return nil
            }, context)
        pthread_detach(thread)
    }

    /// Replaces the text served on /metrics (and marks the server ready).
    func publish(_ text: String) {
        let body = Array(text.utf8)
        state.withLock { $0 = (true, body) }
    }

    private func serve() {
        while true {
            let client: Int32
            switch SystemCall.retryingInterrupts({ accept(listener, nil, nil) }) {
            case .success(let accepted):
                client = accepted
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            case .failure(.connectionAbort): continue
            case .failure:
                // Out of descriptors or memory for a moment: back off instead of spinning.
                SystemCall.sleep(nanoseconds: 100_000_000)
                continue
            }
            var timeout = timeval(tv_sec: Self.clientTimeoutSeconds, tv_usec: 0)
            _ = setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            _ = setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        guard let head = readHead(client) else {
            send(client, status: "400 Bad Request", body: Array("bad request\n".utf8), head: false)
            return
        }
        let request = HTTPRequestLine(head)
        guard let request else {
            send(client, status: "400 Bad Request", body: Array("bad request\n".utf8), head: false)
            return
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            send(
                client, status: "405 Method Not Allowed", body: Array("only GET and HEAD\n".utf8), head: false,
                extra: "Allow: GET, HEAD\r\n")
            return
        }
        let isHead = request.method == "HEAD"
        switch request.path {
        case "/metrics":
            let (ready, body) = state.withLock { ($0.ready, $0.body) }
            if ready {
                send(client, status: "200 OK", body: body, head: isHead, type: Self.contentType)
            } else {
                send(
                    client, status: "503 Service Unavailable",
                    body: Array("ctaudit watch is starting: the initial table dump has not finished\n".utf8), head: isHead)
            }
        case "/":
            send(client, status: "200 OK", body: Array("ctaudit watch: metrics at /metrics\n".utf8), head: isHead)
        default:
            send(client, status: "404 Not Found", body: Array("not found; metrics are at /metrics\n".utf8), head: isHead)
        }
    }

    /// Reads until the blank line that ends the request head; nil on timeout,
    /// a closed connection or a head over 8 KiB. A body is never expected.
    private func readHead(_ client: Int32) -> [UInt8]? {
        var head: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 2048)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while head.count < Self.maxRequestBytes {
            let received = SystemCall.retryingInterrupts { chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) } }
            guard case .success(let count) = received, count > 0 else { return nil }
            head.append(contentsOf: chunk[0..<count])
            if head.contains(end) { return head }
        }
        return nil
    }

    private func send(
        _ client: Int32, status: String, body: [UInt8], head: Bool,
        type: String = "text/plain; charset=utf-8", extra: String = ""
    ) {
        var response = Array(
            ("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\n"
                + "Cache-Control: no-store\r\n\(extra)Connection: close\r\n\r\n").utf8)
        if !head { response += body }
        var offset = 0
        while offset < response.count {
            let sent = SystemCall.retryingInterrupts {
                response.withUnsafeBytes { Glibc.send(client, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            }
            guard case .success(let count) = sent, count > 0 else { return }
            offset += count
        }
    }
}

extension [UInt8] {
    /// Whether `needle` occurs in these bytes.
    fileprivate func contains(_ needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        for start in 0...(count - needle.count) where self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        return false
    }
}
