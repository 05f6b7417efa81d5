import Conntrack
import Policy
import TestSupport
import Testing

@Suite("Config: firewall key")
struct FirewallConfigTests {
    @Test func firewallFilesAreRelativeToTheConfig() throws {
        let config = try ConfigFile.parse("firewall: robot.json\npod_cidrs: [10.1.0.0/16]\n", path: "/etc/ctaudit/config.yaml")
        #expect(config.firewallFiles == ["/etc/ctaudit/robot.json"])
        let list = try ConfigFile.parse("firewall: [/srv/robot.json, gw.rules]\n", path: "conf/c.yaml")
        #expect(list.firewallFiles == ["/srv/robot.json", "conf/gw.rules"])
    }

    @Test(arguments: [
        ("firewall: robot.json\nallow: 1024-65535\n", "c.yaml:1: set either 'firewall' or 'allow', not both"),
        ("firewall: robot.json\nprofile: hetzner-robot\n", "c.yaml:1: set either 'firewall' or 'profile', not both"),
        ("firewall: []\n", "c.yaml:1: 'firewall' is an empty list"),
    ])
    func conflictsAndEmptyValues(text: String, message: String) {
        #expect(throws: (any Error).self) { try ConfigFile.parse(text, path: "c.yaml") }
        do { _ = try ConfigFile.parse(text, path: "c.yaml") } catch { #expect(error.description == message) }
    }
}
