import Conntrack

/// Netlink and ctnetlink bytes built by hand, as the kernel lays them out
/// (host-order nlmsghdr and nlattr headers, 4-byte aligned, network-order
/// values): the decoder and dump-reader suites build their datagrams from
/// these.
package enum NetlinkBytes {
    /// nlmsg_type of a ctnetlink new entry (NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW) ...
    package static let ctNew: UInt16 = 1 << 8
    /// ... and of a deleted one (IPCTNL_MSG_CT_DELETE).
    package static let ctDelete: UInt16 = 1 << 8 | 2
    /// NLMSG_ERROR and NLMSG_DONE.
    package static let errorType: UInt16 = 2
    package static let doneType: UInt16 = 3

    package static func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    package static func le16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    package static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    package static func be32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }

    /// One nlattr: host-order header, payload, padded to 4 bytes.
    package static func attribute(_ type: UInt16, _ payload: [UInt8], nested: Bool = false) -> [UInt8] {
        let length = UInt16(4 + payload.count)
        let type = nested ? type | 0x8000 : type
        var bytes = le16(length) + le16(type) + payload
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    /// CTA_TUPLE_ORIG (1) or CTA_TUPLE_REPLY (2): addresses and ports.
    package static func tuple(_ type: UInt16, src: [UInt8], dst: [UInt8], proto: UInt8, sport: UInt16, dport: UInt16) -> [UInt8] {
        let ip = attribute(1, attribute(1, src) + attribute(2, dst), nested: true)
        let l4 = attribute(2, attribute(1, [proto]) + attribute(2, be16(sport)) + attribute(3, be16(dport)), nested: true)
        return attribute(type, ip + l4, nested: true)
    }

    /// A well-formed IPv4 TCP conntrack message payload (nfgenmsg, then
    /// CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_ID 42, then `extra`):
    /// 10.244.0.3:40000 -> 203.0.113.10:8080, SNATed to 198.51.100.2:1500.
    package static func conntrackPayload(extra: [UInt8] = []) -> [UInt8] {
        [2, 0, 0, 0]
            + tuple(1, src: [10, 244, 0, 3], dst: [203, 0, 113, 10], proto: 6, sport: 40000, dport: 8080)
            + tuple(2, src: [203, 0, 113, 10], dst: [198, 51, 100, 2], proto: 6, sport: 8080, dport: 1500)
            + attribute(3, be32(0x10 | 0x08 | 0x80))  // SRC_NAT | CONFIRMED | SRC_NAT_DONE
            + attribute(12, be32(42))  // CTA_ID
            + extra
    }

    /// nlmsghdr (host order) + payload, padded to 4 bytes; `length` overrides nlmsg_len.
    package static func message(type: UInt16, flags: UInt16 = 2, payload: [UInt8], length: UInt32? = nil) -> [UInt8] {
        var bytes = le32(length ?? UInt32(16 + payload.count)) + le16(type) + le16(flags) + le32(1) + le32(0) + payload
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    /// NLMSG_ERROR carrying -errno and the (zeroed) header it answers.
    package static func error(_ errno: Int32) -> [UInt8] {
        message(type: errorType, payload: withUnsafeBytes(of: (-errno).littleEndian, Array.init) + [UInt8](repeating: 0, count: 16))
    }

    package static let done = message(type: doneType, payload: [0, 0, 0, 0])

    /// A ctnetlink new-entry message: `conntrackPayload` with its CTA_ID set to `id`.
    package static func entry(id: UInt32 = 42, extra: [UInt8] = []) -> [UInt8] {
        var payload = conntrackPayload(extra: extra)
        // CTA_ID is the last attribute before `extra`: patch it.
        payload.replaceSubrange((payload.count - extra.count - 4)..<(payload.count - extra.count), with: be32(id))
        return message(type: ctNew, payload: payload)
    }

    /// Bytes from hex text ("0a1b..."), as captured datagrams are stored.
    package static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// `FlowDecoder.decode` on a payload built here.
    package static func decodeFlow(_ bytes: [UInt8]) throws(DecodeError) -> Flow {
        let result = bytes.withUnsafeBytes { buffer in Result { () throws(DecodeError) in try FlowDecoder.decode(buffer) } }
        return try result.get()
    }
}
