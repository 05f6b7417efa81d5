/// Decodes the link, IP and transport headers of a captured frame into a
/// `CapturedPacket`. Bounds-checked: a truncated or odd frame is nil, never
/// a crash. Link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked
/// v1 and v2 (`tcpdump -i any`), raw IP, and BSD loopback.
public enum PacketDecoder {
    public static let ethernet: Int32 = 1
    public static let null: Int32 = 0
    public static let raw: Int32 = 12
    public static let linktypeRaw: Int32 = 101
    public static let ipv4Only: Int32 = 228
    public static let ipv6Only: Int32 = 229
    public static let linuxCooked: Int32 = 113
    public static let linuxCooked2: Int32 = 276

    public static func isSupported(linkType: Int32) -> Bool {
        [ethernet, null, raw, linktypeRaw, ipv4Only, ipv6Only, linuxCooked, linuxCooked2].contains(linkType)
    }

    public static func decode(_ frame: UnsafeRawBufferPointer, linkType: Int32, timestampMicroseconds: UInt64 = 0) -> CapturedPacket? {
        guard let offset = networkOffset(frame, linkType: linkType), offset < frame.count else { return nil }
        let ip = UnsafeRawBufferPointer(rebasing: frame[offset...])
        var packet: CapturedPacket?
        switch ip[0] >> 4 {
        case 4: packet = decodeIPv4(ip)
        case 6: packet = decodeIPv6(ip)
        default: return nil
        }
        packet?.timestampMicroseconds = timestampMicroseconds
        return packet
    }

    /// Where the IP header starts, or nil when the frame carries no IP.
    static func networkOffset(_ frame: UnsafeRawBufferPointer, linkType: Int32) -> Int? {
        switch linkType {
        case ethernet:
            var offset = 12
            while true {
                guard let type = u16(frame, offset) else { return nil }
                if type == 0x8100 || type == 0x88A8 {
                    offset += 4
                    continue
                }
                return type == 0x0800 || type == 0x86DD ? offset + 2 : nil
            }
        case linuxCooked:
            guard let type = u16(frame, 14) else { return nil }
            return type == 0x0800 || type == 0x86DD ? 16 : nil
        case linuxCooked2:
            guard let type = u16(frame, 0) else { return nil }
            return type == 0x0800 || type == 0x86DD ? 20 : nil
        case null:
            return frame.count > 4 ? 4 : nil
        case raw, linktypeRaw, ipv4Only, ipv6Only:
            return 0
        default:
            return nil
        }
    }

    private static func decodeIPv4(_ ip: UnsafeRawBufferPointer) -> CapturedPacket? {
        guard ip.count >= 20 else { return nil }
        let headerLength = Int(ip[0] & 0x0F) * 4
        guard headerLength >= 20, ip.count >= headerLength, let fragment = u16(ip, 6) else { return nil }
        // Only a first fragment carries the ports.
        guard fragment & 0x1FFF == 0, let source = u32(ip, 12), let destination = u32(ip, 16) else { return nil }
        return transport(
            UnsafeRawBufferPointer(rebasing: ip[headerLength...]), proto: ip[9],
            source: IPAddress(ipv4: source), destination: IPAddress(ipv4: destination))
    }

    private static func decodeIPv6(_ ip: UnsafeRawBufferPointer) -> CapturedPacket? {
        guard ip.count >= 40,
            let source = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: ip[8..<24])),
            let destination = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: ip[24..<40]))
        else { return nil }
        var next = ip[6]
        var offset = 40
        // Extension headers before the transport header, a bounded number of them.
        for _ in 0..<8 {
            switch next {
            case 0, 43, 60:  // hop-by-hop, routing, destination options
                guard offset + 2 <= ip.count else { return nil }
                next = ip[offset]
                offset += (Int(ip[offset + 1]) + 1) * 8
            case 44:  // fragment: only the first one has the ports
                guard offset + 8 <= ip.count, let field = u16(ip, offset + 2) else { return nil }
                guard field & 0xFFF8 == 0 else { return nil }
                next = ip[offset]
                offset += 8
            default:
                guard offset <= ip.count else { return nil }
                return transport(UnsafeRawBufferPointer(rebasing: ip[offset...]), proto: next, source: source, destination: destination)
            }
        }
        return nil
    }

    private static func transport(_ header: UnsafeRawBufferPointer, proto number: UInt8, source: IPAddress, destination: IPAddress)
        -> CapturedPacket?
    {
        let proto = IPProtocol(rawValue: number)
        guard proto.carriesPorts, let sourcePort = u16(header, 0), let destinationPort = u16(header, 2) else { return nil }
        var flags: UInt8 = 0
        if proto == .tcp {
            guard header.count >= 14 else { return nil }
            flags = header[13]
        }
        return CapturedPacket(
            proto: proto, source: Endpoint(address: source, port: sourcePort),
            destination: Endpoint(address: destination, port: destinationPort), tcpFlags: flags)
    }

    private static func u16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16? {
        guard offset >= 0, offset + 2 <= bytes.count else { return nil }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    private static func u32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32? {
        guard offset >= 0, offset + 4 <= bytes.count else { return nil }
        return (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }
}
