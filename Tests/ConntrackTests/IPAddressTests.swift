import Conntrack
import Testing

@Suite("IP addresses")
struct IPAddressTests {
    @Test(
        "RFC 5952 canonical text",
        arguments: [
            ("2001:db8:0:0:0:0:2:1", "2001:db8::2:1"),
            ("2001:DB8::1", "2001:db8::1"),
            ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // a single zero group is not compressed
            ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),  // the longest run is compressed
            ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  // first run on a tie
            ("0:0:0:0:0:0:0:0", "::"),
            ("::1", "::1"),
            ("fe80::", "fe80::"),
            ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
            ("fd00:10:244::3", "fd00:10:244::3"),
        ])
    func canonicalIPv6(input: String, expected: String) throws {
        let address = try #require(IPAddress(input))
        #expect(address.description == expected)
        #expect(IPAddress(expected) == address)
    }

    @Test(
        "rejects malformed text",
        arguments: [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", ":::",
        ])
    func rejects(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func bytesRoundTrip() throws {
        let v6 = try #require(IPAddress("2001:db8:1::2"))
        #expect(IPAddress(bytes: v6.bytes) == v6)
        let v4 = try #require(IPAddress("198.51.100.2"))
        #expect(v4.bytes == [198, 51, 100, 2])
        #expect(IPAddress(bytes: v4.bytes) == v4)
    }
}
