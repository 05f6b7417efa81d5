import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

@Suite("check: port prediction (nf_nat_l4proto_unique_tuple)")
struct CheckPredictionTests {
    static let pods = PortSource.assumedPods
    static let allowed = PortRangeSet.defaultAllowed
    /// KERNEL.md's figure: a uniform pick from 1024-65535.
    static let belowShare = Double(32768 - 1024) / Double(65536 - 1024)

    func predict(_ ports: PortBehaviour, _ source: PortSource = pods, allowed: PortRangeSet = allowed) -> RemapPrediction {
        RemapPrediction(ports: ports, source: source, allowed: allowed)
    }

    @Test func plainMasqueradeIsAtRiskOnClashOnly() {
        let prediction = predict(PortBehaviour())
        #expect(prediction.verdict == .atRisk)
        #expect(prediction.shareOutsideWithoutClash == 0)
        // Linux >= 6.2: 16-bit offset modulo 64512 hits 1024-2047 twice: exactly half below 32768.
        #expect(prediction.shareOfRemappedOutside == 0.5)
        let old = RemapPrediction(ports: PortBehaviour(), source: Self.pods, allowed: Self.allowed, offsetSpace: 1 << 32)
        #expect(abs(old.shareOfRemappedOutside - Self.belowShare) < 1e-5)
        #expect(prediction.possiblePorts.description == "1024-65535")
        #expect(prediction.possiblePortsOutside.description == "1024-32767")
    }

    @Test(arguments: [PortBehaviour(randomFully: true), PortBehaviour(random: true)])
    func randomFlagsRemapEveryFlow(_ ports: PortBehaviour) {
        let prediction = predict(ports)
        #expect(prediction.verdict == .broken)
        #expect(prediction.everyFlowRemapped)
        #expect(prediction.shareOutsideWithoutClash == 0.5)
    }

    @Test func sixteenBitOffsetWeightsTheStartOfTheRange() {
        let distribution = RemapDistribution(range: PortRange(low: 1024, high: 65535)!, offsetSpace: 1 << 16)
        #expect(distribution.share(of: PortRangeSet(PortRange(low: 1024, high: 2047)!)) == 2048.0 / 65536)
        #expect(distribution.share(of: PortRangeSet(PortRange(low: 0, high: 65535)!)) == 1)
        // A range that divides 65536 is uniform.
        let even = RemapDistribution(range: PortRange(low: 32768, high: 65535)!, offsetSpace: 1 << 16)
        #expect(even.share(of: PortRangeSet(PortRange(low: 32768, high: 49151)!)) == 0.5)
        #expect(RemapDistribution.offsetSpace(kernelRelease: "6.18.44-fc") == 1 << 16)
        #expect(RemapDistribution.offsetSpace(kernelRelease: "5.15.0-91-generic") == 1 << 32)
    }

    @Test func pinnedRangeInsideAllowedIsSafeEvenForLowPodPorts() {
        let low = PortSource(range: PortRange(low: 1024, high: 2047)!, origin: .declared, users: ["x"])
        let prediction = predict(PortBehaviour(range: PortRange(low: 32768, high: 65535)!, randomFully: true), low)
        #expect(prediction.verdict == .safe)
        #expect(prediction.possiblePorts.description == "32768-65535")
    }

    @Test func podsWithLowPortsKeepThemThroughPlainMasquerade() {
        let low = PortSource(range: PortRange(low: 1024, high: 2047)!, origin: .declared, users: ["x"])
        let prediction = predict(PortBehaviour(), low)
        #expect(prediction.verdict == .broken)
        #expect(prediction.shareOutsideWithoutClash == 1)
    }

    @Test func podRangeHalfOutsideAllowed() {
        // 16384-49151: half the ports are kept below 32768.
        let half = PortSource(range: PortRange(low: 16384, high: 49151)!, origin: .declared, users: ["x"])
        #expect(abs(predict(PortBehaviour(), half).shareOutsideWithoutClash - 0.5) < 1e-12)
    }

    @Test func pinnedRangeOutsideAllowedRemapsPodPortsOutOfIt() {
        // to-ports 20000-40000: pods' ports above 40000 are moved into it, 64% of them below 32768.
        let prediction = predict(PortBehaviour(range: PortRange(low: 20000, high: 40000)!))
        #expect(prediction.verdict == .broken)
        let remappedShare = Double(60999 - 40000) / Double(60999 - 32768 + 1)
        let outsideInRange = RemapDistribution(range: PortRange(low: 20000, high: 40000)!, offsetSpace: 1 << 16)
            .share(of: PortRangeSet(PortRange(low: 20000, high: 32767)!))
        #expect(abs(prediction.shareOutsideWithoutClash - remappedShare * outsideInRange) < 1e-9)
    }

    @Test func privilegedPortsRemapWithinTheirClass() {
        let privileged = PortSource(range: PortRange(low: 600, high: 1023)!, origin: .declared, users: ["x"])
        let prediction = predict(PortBehaviour(randomFully: true), privileged)
        #expect(prediction.possiblePorts.description == "600-1023")
        #expect(prediction.shareOutsideWithoutClash == 1)
    }

    @Test func shareIsComputedAgainstAnyAllowedSet() throws {
        let allowed = try PortRangeSet(parsing: "1024-2047,32768-65535")
        let prediction = RemapPrediction(ports: PortBehaviour(randomFully: true), source: Self.pods, allowed: allowed, offsetSpace: 1 << 32)
        #expect(abs(prediction.shareOutsideWithoutClash - Double(32768 - 2048) / 64512) < 1e-5)
        #expect(prediction.possiblePortsOutside.description == "2048-32767")
    }

    @Test func protocolMatchAlgebra() {
        let any = ProtocolMatch.all
        let tcp = ProtocolMatch.only([.tcp])
        #expect(any.subtracting(tcp) == .any(except: [.tcp]))
        #expect(any.subtracting(tcp).subtracting(.only([.udp])).portCarryingProtocols.isEmpty)
        #expect(tcp.intersecting(.any(except: [.tcp])) == .only([]))
        #expect(!any.canCarryPortRange)
        #expect(ProtocolMatch.only([.tcp, .udp]).canCarryPortRange)
    }

    @Test func tokenizerKeepsQuotedComments() throws {
        let tokens = try IptablesRuleTokens.split(#"-A X -m comment --comment "name: \"cbr0\" id: \"7f\"" -j ACCEPT"#)
        #expect(tokens == ["-A", "X", "-m", "comment", "--comment", #"name: "cbr0" id: "7f""#, "-j", "ACCEPT"])
    }

    @Test func snatToSourceWithPorts() {
        let rule = IptablesRuleTokens(tokens: [
            "-s", "10.0.0.0/8", "-p", "tcp", "-j", "SNAT", "--to-source", "198.51.100.2:1024-29999", "--random",
        ])
        #expect(rule.ports == PortBehaviour(range: PortRange(low: 1024, high: 29999)!, random: true))
        #expect(rule.snatAddress == "198.51.100.2")
        let v6 = IptablesRuleTokens(tokens: ["-j", "SNAT", "--to-source", "[2001:db8::1]:40000-50000"])
        #expect(v6.ports.range == PortRange(low: 40000, high: 50000)!)
        #expect(v6.snatAddress == "2001:db8::1")
    }
}
