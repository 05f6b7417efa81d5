import Conntrack
import Policy
import TestSupport
import Testing

@Suite("CIDR networks")
struct IPNetworkTests {
    @Test(
        "contains",
        arguments: [
            ("10.244.0.0/16", "10.244.3.7", true),
            ("10.244.0.0/16", "10.245.0.1", false),
            ("10.244.0.0/16", "fd00::1", false),
            ("0.0.0.0/0", "203.0.113.10", true),
            ("10.1.2.3", "10.1.2.3", true),
            ("10.1.2.3/32", "10.1.2.4", false),
            ("fd00:10:244::/48", "fd00:10:244:1::5", true),
            ("fd00:10:244::/48", "fd00:10:245::5", false),
            ("fd00:10:244::/64", "fd00:10:244::3", true),
            ("::/0", "2001:db8::1", true),
            ("2001:db8::/127", "2001:db8::1", true),
            ("2001:db8::/127", "2001:db8::2", false),
        ])
    func contains(cidr: String, address: String, expected: Bool) throws {
        let network = try IPNetwork(parsing: cidr)
        #expect(network.contains(IPAddress(address)!) == expected)
    }

    @Test(
        "rejects with a reason",
        arguments: [
            ("10.244.1.0/16", "did you mean 10.244.0.0/16"),
            ("10.244.0.0/33", "prefix length must be 0-32"),
            ("fd00::/129", "prefix length must be 0-128"),
            ("10.244.0.0/", "prefix length"),
            ("pods", "expected ADDRESS/PREFIX"),
            ("10.0.0.0/8/8", "expected ADDRESS/PREFIX"),
            ("fd00::1/64", "did you mean fd00::/64"),
        ])
    func rejects(text: String, reason: String) {
        do {
            _ = try IPNetwork(parsing: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    /// Issue 22: a network a person gives (--pod-cidr, --exclude-dst,
    /// --service-cidr, the config file) needs its prefix length: a bare
    /// `10.42.0.0` silently became one host (/32) and the audit judged no pod.
    @Test(
        "a CIDR without a prefix length is refused with the network it probably meant",
        arguments: [
            ("10.42.0.0", "no prefix length; write 10.42.0.0/16 for the network"),
            ("10.0.0.0", "write 10.0.0.0/8 for the network"),
            ("10.42.0.5", "write 10.42.0.5/32 for this one address"),
            ("fd00:10:244::", "write fd00:10:244::/48 for the network"),
            ("fd00::5", "write fd00::5/128 for this one address"),
            (" 10.42.0.0 ", "'10.42.0.0'"),
        ])
    func userCIDRsNeedAPrefix(text: String, hint: String) {
        do {
            _ = try IPNetwork(parsingCIDR: text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(hint), "\(error)")
        }
    }

    @Test("a CIDR with a prefix length parses as before", arguments: ["10.42.0.0/16", "10.42.0.5/32", "fd00::/64", "0.0.0.0/0"])
    func userCIDRsWithAPrefix(text: String) throws {
        #expect(try IPNetwork(parsingCIDR: text) == IPNetwork(parsing: text))
    }
}
