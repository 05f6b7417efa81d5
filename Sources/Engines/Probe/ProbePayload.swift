/// What a UDP probe sends: a DNS query for port 53 (a server answers it,
/// refused or not), else the user's payload.
public enum ProbePayload {
    /// A standard query for the root's NS records: answered by any resolver,
    /// recursive or not, and small.
    public static func dnsQuery(id: UInt16) -> [UInt8] {
        [
            UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x02, 0x00, 0x01,
        ]
    }
}
