import Conntrack
import Testing

/// `who`'s ENDPOINT: ADDR:PORT for IPv4, [ADDR]:PORT for IPv6, anything else refused with why.
@Suite struct EndpointTests {
    @Test func ipv4() throws {
        let endpoint = try Endpoint(parsing: "198.51.100.2:2589")
        #expect(endpoint.address == IPAddress("198.51.100.2"))
        #expect(endpoint.port == 2589)
        #expect(endpoint.description == "198.51.100.2:2589")
    }

    @Test func ipv6InBrackets() throws {
        let endpoint = try Endpoint(parsing: "[2001:db8:1::2]:1516")
        #expect(endpoint.address == IPAddress("2001:db8:1::2"))
        #expect(endpoint.port == 1516)
        #expect(endpoint.description == "[2001:db8:1::2]:1516")
        // The expanded form a LOG line prints is the same address.
        #expect(try Endpoint(parsing: "[2001:0db8:0001:0000:0000:0000:0000:0002]:1516") == endpoint)
        #expect(try Endpoint(parsing: " 198.51.100.2:65535 ").port == 65535)
    }

    @Test func tcpdumpsForm() throws {
        #expect(try Endpoint(parsing: "198.51.100.2.2589") == Endpoint(parsing: "198.51.100.2:2589"))
        #expect(try Endpoint(parsing: "2001:db8:1::2.1516") == Endpoint(parsing: "[2001:db8:1::2]:1516"))
    }

    @Test(arguments: [
        ("198.51.100.2", "no port"),
        ("198.51.100.2:", "is not a port"),
        ("198.51.100.2:0", "is not a port"),
        ("198.51.100.2:65536", "is not a port"),
        ("198.51.100.2:80a", "is not a port"),
        ("198.51.100.256:80", "is not an IP address"),
        ("node1:80", "is not an IP address"),
        ("2001:db8::2:80", "needs brackets"),
        ("[2001:db8::2]", "no ':PORT'"),
        ("[2001:db8::2:80", "without ']'"),
        ("[198.51.100.2]:80", "brackets are for IPv6"),
        ("", "no port"),
        ("198.51.100.2.0", "no port"),
        ("::ffff:198.51.100.2.80", "needs brackets"),
    ])
    func refused(text: String, reason: String) {
        do {
            _ = try Endpoint(parsing: text)
            Issue.record("'\(text)' parsed")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }
}
