import CPcap

/// Reads a capture file (pcap or pcapng, as tcpdump -w writes it) offline
/// with libpcap, one packet at a time: nothing is held but the packet being
/// decoded. Never opens a live interface.
public final class CaptureFileReader {
    public let path: String
    /// The file's link type (DLT_*), e.g. 1 for Ethernet.
    public let linkType: Int32
    private let handle: OpaquePointer

    public init(path: String) throws(CaptureError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(CTAUDIT_PCAP_ERRBUF_SIZE) + 1)
        guard let handle = pcap_open_offline(path, &errorBuffer) else {
            let message = errorBuffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw CaptureError(path: path, reason: message.isEmpty ? "cannot be read as a capture" : message)
        }
        self.handle = handle
        self.path = path
        self.linkType = pcap_datalink(handle)
        guard PacketDecoder.isSupported(linkType: linkType) else {
            pcap_close(handle)
            let name = pcap_datalink_val_to_name(linkType).map { String(cString: $0) } ?? "\(linkType)"
            throw CaptureError(path: path, reason: "link type \(name) is not decoded (Ethernet, Linux cooked v1/v2, raw IP)")
        }
    }

    deinit { pcap_close(handle) }

    /// What a walk through the file saw.
    public struct Walk: Hashable, Sendable {
        /// Frames read.
        public var frames = 0
        /// TCP/UDP/SCTP/... packets decoded and handed on.
        public var packets = 0
        /// True when the file ended early (truncated): what was read is kept.
        public var truncated = false
        public init() {}
    }

    /// Hands each decoded packet to `body`, at most `limit` frames.
    public func forEachPacket(limit: Int = .max, _ body: (CapturedPacket) -> Void) throws(CaptureError) -> Walk {
        var walk = Walk()
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        while walk.frames < limit {
            let result = pcap_next_ex(handle, &header, &data)
            if result == 1, let header, let data {
                walk.frames += 1
                let frame = UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen))
                let time = UInt64(max(0, header.pointee.ts.tv_sec)) * 1_000_000 + UInt64(max(0, header.pointee.ts.tv_usec))
                if let packet = PacketDecoder.decode(frame, linkType: linkType, timestampMicroseconds: time) {
                    walk.packets += 1
                    body(packet)
                }
            } else if result == Int32(CTAUDIT_PCAP_ERROR_BREAK) || result == 0 {
                break
            } else {
                // A file cut short mid-packet: keep what was read, say so.
                if walk.frames > 0 {
                    walk.truncated = true
                    break
                }
                throw CaptureError(path: path, reason: String(cString: pcap_geterr(handle)))
            }
        }
        return walk
    }
}
