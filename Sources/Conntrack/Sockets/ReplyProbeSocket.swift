import CConntrack
import Glibc
import SystemPackage

/// What one reply probe saw.
public enum ReplyProbeOutcome: Hashable, Sendable {
    /// Something came back to the local port: a SYN-ACK, a RST ("refused"),
    /// a UDP answer or an ICMP port unreachable. The detail says which.
    case replied(String)
    /// Nothing came back within the timeout.
    case noReply
    /// The local port is taken on this node; nothing was sent.
    case portInUse
    /// The probe could not be made (the detail says why); nothing may have been sent.
    case failed(String)
}

/// Sends one probe from a chosen local port to one target and waits for
/// anything to come back: a TCP connect, or a UDP datagram and its answer.
/// Sockets are opened inside `namespace` (setns on this thread, then back)
/// and bound to the chosen port on the namespace's own addresses. Nothing
/// else is touched: no rule, no sysctl.
public struct ReplyProbeSocket: Sendable {
    public enum Transport: String, Sendable { case tcp, udp }

    public var namespace: NetworkNamespace?
    public var target: IPAddress
    public var targetPort: UInt16
    public var transport: Transport
    /// The UDP datagram to send (a DNS query for port 53, else the user's payload).
    public var payload: [UInt8]
    public var timeoutMilliseconds: Int32

    public init(
        namespace: NetworkNamespace?, target: IPAddress, targetPort: UInt16, transport: Transport,
        payload: [UInt8], timeoutMilliseconds: Int32
    ) {
        self.namespace = namespace
        self.target = target
        self.targetPort = targetPort
        self.transport = transport
        self.payload = payload
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// One probe from `localPort`. Throws only for namespace problems
    /// (environment); everything about the probe itself is an outcome.
    public func probe(localPort: UInt16) throws(ConntrackError) -> ReplyProbeOutcome {
        let family = target.family == .ipv4 ? AF_INET : AF_INET6
        let type = transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let open = { () -> Result<FileDescriptor, Errno> in
            SystemCall.retryingInterrupts {
                Glibc.socket(family, type | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            }.map { FileDescriptor(rawValue: $0) }
        }
        let socket: FileDescriptor
        let opened = if let namespace { try namespace.runInside(open) } else { open() }
        switch opened {
        case .success(let opened): socket = opened
        case .failure(let error): return .failed("socket: \(error.description)")
        }
        let descriptor = socket.rawValue
        defer {
            // Close with a reset, not a FIN: no TIME_WAIT keeps the port, so
            // the next probe (of this run or another) can use any port.
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            try? socket.close()
        }
        if target.family == .ipv6 {
            // IPv6 only: an IPv4 socket on the same port is another probe's, not a conflict.
            var on: Int32 = 1
            setsockopt(descriptor, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }

        let bound = withAddress(port: localPort, any: true) { bind(descriptor, $0, $1) }
        if bound != 0 {
            let code = errno
            if code == EADDRINUSE { return .portInUse }
            return .failed("bind port \(localPort): \(String(cString: strerror(code)))")
        }
        let connected = withAddress(port: targetPort, any: false) { connect(descriptor, $0, $1) }
        if connected != 0 && errno != EINPROGRESS {
            let code = errno
            if code == EADDRINUSE || code == EADDRNOTAVAIL { return .portInUse }
            return .failed("connect: \(String(cString: strerror(code)))")
        }
        switch transport {
        case .tcp:
            guard wait(descriptor, events: Int16(POLLOUT)) else { return .noReply }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
            switch error {
            case 0: return .replied("syn-ack")
            case ECONNREFUSED: return .replied("rst (port closed on the target)")
            case ETIMEDOUT: return .noReply
            case EHOSTUNREACH, ENETUNREACH: return .failed("unreachable: \(String(cString: strerror(error)))")
            default: return .failed("connect: \(String(cString: strerror(error)))")
            }
        case .udp:
            if case .failure(let error) = SystemCall.retryingInterrupts({
                payload.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            }) {
                return .failed("send: \(error.description)")
            }
            guard wait(descriptor, events: Int16(POLLIN)) else { return .noReply }
            var buffer = [UInt8](repeating: 0, count: 2048)
            switch SystemCall.retryingInterrupts({ buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) } }) {
            case .success(let received): return .replied("udp answer, \(received) bytes")
            case .failure(.connectionRefused): return .replied("icmp port unreachable")
            case .failure(let error): return .failed("recv: \(error.description)")
            }
        }
    }

    /// Waits for `events` for at most the probe's timeout (signals do not shorten or lengthen it).
    private func wait(_ descriptor: Int32, events: Int16) -> Bool {
        var entries = [pollfd(fd: descriptor, events: events, revents: 0)]
        guard case .success(let ready) = SystemCall.poll(&entries, timeoutMilliseconds: timeoutMilliseconds) else { return false }
        return ready > 0
    }

    /// A sockaddr for the target's family: the wildcard (the namespace's own
    /// addresses) with `port`, or the target itself.
    private func withAddress<R>(port: UInt16, any: Bool, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        if target.family == .ipv4 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = any ? 0 : UInt32(truncatingIfNeeded: target.low).bigEndian
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = port.bigEndian
        if !any {
            let bytes = target.bytes
            withUnsafeMutableBytes(of: &address.sin6_addr) { raw in
                for index in 0..<16 { raw[index] = bytes[index] }
            }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
    }
}
