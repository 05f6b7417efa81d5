import Conntrack
import Foundation
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

/// Real rule sets captured by scripts/capture-rules.sh (real iptables-save and
/// nft -j output from rules loaded in a throwaway namespace), each with the
/// verdict it must get.
@Suite("check: captured rule sets")
struct CheckFixtureTests {

    /// The format whose file alone holds a set's NAT rules (expected.txt's third column).
    enum Carrier: String {
        /// iptables-nft: nft JSON shows the tables, but as xt expressions without their NAT options.
        case iptables
        /// iptables-legacy: nft JSON does not see the rules at all.
        case iptablesLegacy = "iptables-legacy"
        /// Native nft: iptables-save has no rules, or says the table belongs to nft.
        case nft
    }

    static let expected: [(String, RuleVerdict)] = sets.map { ($0.0, $0.1) }

    static let sets: [(String, RuleVerdict, Carrier)] = {
        let text = (try? String(contentsOf: RuleFixtures.directory.appendingPathComponent("expected.txt"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard !line.hasPrefix("#"), parts.count == 3, let verdict = RuleVerdict(rawValue: String(parts[1])),
                let carrier = Carrier(rawValue: String(parts[2]))
            else { return nil }
            return (String(parts[0]), verdict, carrier)
        }
    }()

    @Test func everyCapturedSetHasAnExpectation() {
        #expect(Self.expected.count >= 13)
        // Uncertain needs a --firewall rule ctaudit cannot judge: NAT rule sets alone never give it.
        #expect(Set(Self.expected.map(\.1)) == Set(RuleVerdict.allCases).subtracting([.uncertain]))
    }

    @Test(arguments: expected.map(\.0))
    func verdictMatches(_ name: String) throws {
        let want = try #require(Self.expected.first { $0.0 == name }?.1)
        let (iptables, nft) = RuleFixtures.files(name)
        let report = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: iptables, nftJSONFiles: nft).run()
        #expect(report.verdict == want, "\(name): \(report.findings.map { "\($0.rule.location) \($0.verdict)" })")
        #expect(!report.findings.isEmpty)
        if want != .safe {
            #expect(report.remedies.contains { $0.kind == .pinNATRange || $0.kind == .calicoNATPortRange })
            #expect(report.remedies.last?.kind == .widenFirewall)
        } else {
            #expect(report.remedies.isEmpty)
        }
    }

    /// Each format on its own, as a node with only one of the tools would
    /// give it: the carrier alone must reach the expected verdict, and the
    /// other format alone must find no rule and say why instead of calling
    /// the node safe in silence.
    @Test(arguments: expected.map(\.0))
    func eachFormatAloneWhereItCarriesTheRules(_ name: String) throws {
        let (_, want, carrier) = try #require(Self.sets.first { $0.0 == name })
        let (iptables, nft) = RuleFixtures.files(name)
        func run(_ check: NodeCheck) throws -> Result<CheckReport, CheckInputError> {
            do { return .success(try check.run()) } catch let error as CheckInputError { return .failure(error) }
        }
        let fromIptables = try run(NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: iptables))
        let fromNft = try run(NodeCheck(allowed: .defaultAllowed, nftJSONFiles: nft))
        let (carryingResult, other) = carrier == .nft ? (fromNft, fromIptables) : (fromIptables, fromNft)
        let carrying = try carryingResult.get()

        #expect(
            carrying.verdict == want,
            "\(name) from \(carrier.rawValue) alone: \(carrying.findings.map { "\($0.rule.location) \($0.verdict)" })")
        #expect(!carrying.findings.isEmpty)
        switch (carrier, other) {
        case (.iptables, .failure(let error)):
            // The nft view of an iptables-nft nat table hides the NAT options:
            // refused (exit 2), never judged "safe".
            #expect(error.reason.contains("written by iptables-nft"), "\(name): \(error)")
        case (.nft, .failure(let error)):
            #expect(error.reason.contains("belongs to nft"), "\(name): \(error)")
        case (.nft, .success(let report)), (.iptablesLegacy, .success(let report)):
            // Nothing in the other format at all: no rule, and it says so.
            #expect(report.findings.isEmpty, "\(name): \(report.findings.map(\.rule.location))")
            #expect(report.notes.contains { $0.contains("no SNAT/MASQUERADE rule found") }, "\(name): \(report.notes)")
        default:
            Issue.record("\(name): the \(carrier.rawValue) set gave \(other) from the other format")
        }
    }

    /// Two fixes in one chain: -I takes rule numbers, so the second counts
    /// the lines the first inserts above its rule (one per pinnable
    /// protocol: tcp, udp, sctp, dccp), and says so.
    @Test func laterFixesInTheSameChainCountEarlierInserts() throws {
        let report = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: RuleFixtures.files("k3s-flannel").iptables).run()
        let flannel = report.findings.filter { $0.rule.chain == "FLANNEL-POSTRTG" && $0.rule.tool == .iptables }
        try #require(flannel.count >= 2)
        let first = try #require(flannel[0].remedies.first { $0.kind == .pinNATRange })
        let second = try #require(flannel[1].remedies.first { $0.kind == .pinNATRange })
        // Run both fixes' inserts, in order, on the chain as iptables would:
        // each fix's lines must land right above the rule it fixes.
        var chain = (1...40).map { "rule \($0)" }
        for (label, remedy) in [("first", first), ("second", second)] {
            let positions = Self.insertPositions(remedy.commands, chain: "FLANNEL-POSTRTG")
            #expect(positions.count == 4, "\(remedy.commands)")
            for (index, position) in positions.enumerated() { chain.insert("\(label) fix \(index)", at: position - 1) }
        }
        for (label, finding) in [("first", flannel[0]), ("second", flannel[1])] {
            let rule = try #require(chain.firstIndex(of: "rule \(finding.rule.position)"))
            #expect(Array(chain[(rule - 4)..<rule]) == (0..<4).map { "\(label) fix \($0)" }, "\(chain.prefix(12))")
        }
        let moved = flannel[1].rule.position + 4
        #expect(second.summary.contains("rule #\(flannel[1].rule.position) is #\(moved) once the fixes above in FLANNEL-POSTRTG are in"))
        #expect(!first.summary.contains("once the fixes above"))
    }

    /// N of every `-I CHAIN N` in `commands`, in order.
    static func insertPositions(_ commands: [String], chain: String) -> [Int] {
        commands.compactMap { command in
            let words = command.split(separator: " ").map(String.init)
            guard let insert = words.firstIndex(of: "-I"), insert + 2 < words.count, words[insert + 1] == chain else { return nil }
            return Int(words[insert + 2])
        }
    }

    @Test func k3sFlannelFollowsJumpsIntoBothChains() throws {
        let (iptables, _) = RuleFixtures.files("k3s-flannel")
        let result = try IptablesSaveParser(origin: "x").parse(String(contentsOfFile: iptables[0], encoding: .utf8))
        #expect(result.rules.map(\.chain) == ["KUBE-POSTROUTING", "FLANNEL-POSTRTG", "FLANNEL-POSTRTG"])
        #expect(result.rules.allSatisfy { $0.ports.randomFully })
        #expect(result.rules[1].chainPath == ["POSTROUTING", "FLANNEL-POSTRTG"])
        #expect(result.rules[1].source == "10.42.0.0/16")
        #expect(result.rules[1].comment == "flanneld masq")
        // The position is the rule's number in its chain, as `iptables -I` counts.
        let text = try String(contentsOfFile: iptables[0], encoding: .utf8)
        let chainRules = text.split(separator: "\n").filter { $0.hasPrefix("-A FLANNEL-POSTRTG ") }
        let numbered = chainRules[result.rules[1].position - 1]
        #expect(numbered.contains("-s 10.42.0.0/16") && numbered.contains("MASQUERADE"), "\(numbered)")
        #expect(result.backend == "nf_tables")
        let v6 = try IptablesSaveParser(origin: "x").parse(String(contentsOfFile: iptables[1], encoding: .utf8))
        #expect(v6.family == .ipv6)
        #expect(v6.rules.last?.source == "2001:cafe:42::/56")
    }

    @Test func kubeProxyMarkGuardKeepsFlannelRulesVisible() throws {
        // KUBE-POSTROUTING's masquerade has no match of its own; the RETURN
        // before it limits it to marked packets, so it must not shadow flannel.
        let report = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: RuleFixtures.files("k3s-flannel").iptables).run()
        let flannel = report.findings.filter { $0.rule.controller == "flannel" }
        #expect(flannel.count == 3)
        #expect(flannel.allSatisfy { $0.verdict == .broken && $0.effectiveProtocols == .all })
    }

    @Test func calicoFallbackAfterNatPortRangeCarriesNoTCPOrUDP() throws {
        let report = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: RuleFixtures.files("calico-natportrange").iptables).run()
        #expect(report.findings.count == 3)
        #expect(report.findings[2].effectiveProtocols == .any(except: [.tcp, .udp]))
        #expect(report.findings[2].predictions.isEmpty)
    }

    @Test func calicoGetsNatPortRangeRemedy() throws {
        let report = try NodeCheck(allowed: .defaultAllowed, iptablesSaveFiles: RuleFixtures.files("calico").iptables).run()
        let calico = try #require(report.remedies.first { $0.kind == .calicoNATPortRange })
        #expect(calico.commands[0].contains("\"natPortRange\":\"32768:65535\""))
    }

    @Test func iptablesNftTablesInNftJSONAreNamedNotMisread() throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: RuleFixtures.files("calico").nft[0])))
        let result = try NftRulesetParser(origin: "calico.nft.json").parse(bytes)
        #expect(result.rules.isEmpty)
        #expect(result.iptablesNftTables == ["ip nat"])
    }

    @Test func nftJumpAndRangeAreRead() throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: RuleFixtures.files("nft-masquerade-range").nft[0])))
        let result = try NftRulesetParser(origin: "x").parse(bytes)
        #expect(result.rules.count == 2)
        #expect(result.rules[0].chainPath == ["postrouting", "pod-masq"])
        #expect(result.rules[0].ports.range == PortRange(low: 32768, high: 65535))
        #expect(result.rules[0].protocols == .only([.tcp, .udp]))
        #expect(result.rules[0].source == "10.244.0.0/16")
        #expect(result.rules[1].ports.range == nil)
    }

    @Test func nftOwnedNatTableInIptablesSaveIsNotAnError() throws {
        let report = try NodeCheck(
            allowed: .defaultAllowed, iptablesSaveFiles: RuleFixtures.files("nft-fully-random").iptables,
            nftJSONFiles: RuleFixtures.files("nft-fully-random").nft
        ).run()
        #expect(report.verdict == .broken)
        #expect(report.notes.contains { $0.contains("belongs to nft") })
    }

}
