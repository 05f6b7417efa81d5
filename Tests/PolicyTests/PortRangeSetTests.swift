import Conntrack
import Policy
import Testing

@Suite("Port ranges")
struct PortRangeSetTests {
    @Test(
        "parses and normalizes",
        arguments: [
            ("32768-65535", "32768-65535"),
            ("1024-2047,32768-65535", "1024-2047,32768-65535"),
            ("32768-65535,1024-2047", "1024-2047,32768-65535"),
            ("80", "80"),
            ("0-65535", "0-65535"),
            ("1-10,5-20", "1-20"),
            ("1-10,11-20", "1-20"),
            (" 1024 - 2047 , 4000 ", "1024-2047,4000"),
            // iptables --dport and Calico natPortRange write ranges with a colon,
            // and ctaudit prints Calico's fix in that notation.
            ("32768:65535", "32768-65535"),
            ("1024:2047,32768-65535", "1024-2047,32768-65535"),
            (":1023", "0-1023"),
            ("1024:", "1024-65535"),
            // sysctl net.ipv4.ip_local_port_range prints "32768\t60999".
            ("32768\t60999", "32768-60999"),
            ("1024 2047", "1024-2047"),
        ])
    func parses(text: String, expected: String) throws {
        #expect(try PortRangeSet(parsing: text).description == expected)
    }

    @Test(
        "rejects with a reason",
        arguments: [
            ("70000", "70000 is above 65535"),
            ("5-1", "reversed range"),
            ("", "empty"),
            ("1024-", "is not a port number"),
            ("-5", "is not a port number"),
            ("a-b", "is not a port number"),
            ("1-2-3", "expected PORT, LOW-HIGH or LOW:HIGH"),
            ("1-2:3", "expected PORT, LOW-HIGH or LOW:HIGH"),
            (":", "expected PORT, LOW-HIGH or LOW:HIGH"),
            ("5:1", "write 1:5"),
            ("0:70000", "70000 is above 65535"),
            ("1024,,2048", "empty range between commas"),
            ("+80", "is not a port number"),
            ("1 2 3", "is not a port number"),
        ])
    func rejects(text: String, reason: String) {
        do {
            _ = try PortRangeSet(parsing: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.description.contains("invalid port range"))
        }
    }

    @Test func membership() throws {
        let set = try PortRangeSet(parsing: "1024-2047,32768-65535")
        #expect(set.contains(1024) && set.contains(2047) && set.contains(32768) && set.contains(65535))
        #expect(!set.contains(1023) && !set.contains(2048) && !set.contains(32767) && !set.contains(0))
    }

    @Test func complementAndWidest() throws {
        let set = try PortRangeSet(parsing: "1024-2047,32768-65535")
        #expect(set.complement.description == "0-1023,2048-32767")
        #expect(set.widest?.description == "32768-65535")
        #expect(PortRangeSet.defaultAllowed.complement.description == "0-32767")
        #expect(try PortRangeSet(parsing: "0-65535").complement.ranges.isEmpty)
    }
}
