import CConntrack
import CConntrackShim
import Glibc
import SystemPackage

/// Lists the sockets of a namespace that receive on a port (TCP LISTEN,
/// unconnected bound UDP) over netlink sock_diag (NETLINK_SOCK_DIAG,
/// inet_diag_req_v2), the way `ss -ltu` does, without /proc or a child
/// process. Read-only: sock_diag only lists sockets; nothing is sent to them.
public enum ListeningSocketReader {
    /// TCP_LISTEN (10): a TCP server socket.
    static let tcpListenStates: UInt32 = 1 << 10
    /// TCP_CLOSE (7): an unconnected UDP socket (a connected one reads as
    /// ESTABLISHED and is a client, whose port is the kernel's ephemeral pick).
    static let udpBoundStates: UInt32 = 1 << 7

    /// The receiving sockets of `namespace` (nil: the caller's own), sorted
    /// by port, each once. The thread enters the namespace only to open the socket.
    public static func read(namespace: NetworkNamespace? = nil) throws(ConntrackError) -> [ListeningSocket] {
        let open = { () throws(ConntrackError) -> OpaquePointer in
            guard let socket = mnl_socket_open2(NETLINK_SOCK_DIAG, Int32(SOCK_CLOEXEC.rawValue)) else {
                throw .from(Errno(rawValue: Glibc.errno), operation: "opening a sock_diag netlink socket")
            }
            return socket
        }
        let socket = if let namespace { try namespace.runInside(open) } else { try open() }
        defer { mnl_socket_close(socket) }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) == 0 else {
            throw ConntrackError.from(Errno(rawValue: Glibc.errno), operation: "binding the sock_diag socket")
        }
        let portID = mnl_socket_get_portid(socket)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        var found = Set<ListeningSocket>()
        var sequence = UInt32(truncatingIfNeeded: time(nil))
        for (proto, states) in [(IPProtocol.tcp, tcpListenStates), (IPProtocol.udp, udpBoundStates)] {
            for family in [AF_INET, AF_INET6] {
                sequence &+= 1
                let length = ctaudit_build_inet_diag_request(
                    buffer.baseAddress, buffer.count, sequence, UInt8(family), proto.rawValue, states)
                if case .failure(let errno) = SystemCall.retryingInterrupts({ mnl_socket_sendto(socket, buffer.baseAddress, Int(length)) })
                {
                    throw .from(errno, operation: "sock_diag request")
                }
                var finished = false
                while !finished {
                    let count: Int
                    switch SystemCall.retryingInterrupts({ mnl_socket_recvfrom(socket, buffer.baseAddress, buffer.count) }) {
                    case .success(let received): count = received
                    case .failure(let errno): throw .from(errno, operation: "sock_diag dump")
                    }
                    finished = try read(
                        datagram: UnsafeRawBufferPointer(rebasing: buffer[..<count]), sequence: sequence,
                        portID: portID, proto: proto, into: &found)
                }
            }
        }
        return found.sorted()
    }

    /// One datagram of a sock_diag dump; true when it ended the dump.
    /// Internal for the decoder tests (hand-made bytes).
    static func read(
        datagram: UnsafeRawBufferPointer, sequence: UInt32, portID: UInt32, proto: IPProtocol,
        into found: inout Set<ListeningSocket>
    ) throws(ConntrackError) -> Bool {
        var messages = NetlinkMessageCursor(datagram)
        while true {
            let next: NetlinkMessage?
            do { next = try messages.next() } catch { throw .malformedDatagram(error) }
            guard let message = next else { return false }
            guard message.sequence == sequence, message.portID == portID || message.portID == 0 else { continue }
            switch message.type {
            case NetlinkMessage.done:
                return true
            case NetlinkMessage.error:
                let code: Int32
                do { code = try message.errorCode() } catch { throw .malformedDatagram(error) }
                // A kernel without inet_diag for this protocol (module not loaded) lists nothing.
                if code == ENOENT { return true }
                if code != 0 { throw ConntrackError.from(Errno(rawValue: code), operation: "sock_diag dump") }
            case NetlinkMessage.overrun:
                throw .receiveOverrun
            case UInt16(SOCK_DIAG_BY_FAMILY):
                if let socket = decode(message.payload, proto: proto) { found.insert(socket) }
            default:
                continue
            }
        }
    }

    /// struct inet_diag_msg (72 bytes; layout pinned in shim.c): family at 0,
    /// the source port (big-endian) at 4, the source address at 8. Short or
    /// unknown-family messages are skipped.
    static func decode(_ payload: UnsafeRawBufferPointer, proto: IPProtocol) -> ListeningSocket? {
        guard payload.count >= 72 else { return nil }
        let family = Int32(payload[0])
        let port = UInt16(payload[4]) << 8 | UInt16(payload[5])
        guard port != 0 else { return nil }
        let address: IPAddress?
        switch family {
        case AF_INET: address = IPAddress(bytes: payload[8..<12])
        case AF_INET6: address = IPAddress(bytes: payload[8..<24])
        default: return nil
        }
        return address.map { ListeningSocket(proto: proto, address: $0, port: port) }
    }
}
