import TestSupport
import Testing

@testable import Conntrack
@testable import Engines
@testable import NodeState
@testable import Policy

/// `check`'s BPF dataplane predictions from exported configuration, and the
/// accumulator's handling of BPF flows.
@Suite("BPF dataplanes: check predictions and accumulation")
struct DataplaneCheckTests {
    static let allowed = PortRangeSet.defaultAllowed

    static func config(_ yaml: String) throws -> DataplaneConfig {
        var config = DataplaneConfig()
        try config.read(yaml: yaml, file: "exported.yaml")
        return config
    }

    @Test("Cilium with the default NodePort range masquerades into 32768-65535: safe")
    func ciliumDefault() {
        let check = DataplaneCheck(allowed: Self.allowed, bpffs: nil, config: DataplaneConfig())
        let finding = check.ciliumFinding(detectedBy: ["test"])
        #expect(finding.ports == PortRange(low: 32768, high: 65535))
        #expect(finding.verdict == .safe)
        #expect(finding.fix == nil)
    }

    @Test("Cilium with a low NodePort range: at risk, and the fix moves the range up to end at 32767")
    func ciliumLowNodePortRange() throws {
        let config = try Self.config(
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: cilium-config, namespace: kube-system}
            data:
              enable-bpf-masquerade: "true"
              node-port-range: "20000,22767"
            """)
        #expect(config.ciliumBPFMasquerade == true)
        let findings = DataplaneCheck(allowed: Self.allowed, bpffs: nil, config: config).run()
        let finding = try #require(findings.first)
        #expect(findings.count == 1 && finding.dataplane == .cilium)
        #expect(finding.ports == PortRange(low: 22768, high: 65535))
        #expect(finding.verdict == .atRisk)
        #expect(finding.outside == PortRangeSet([PortRange(low: 22768, high: 32767)!]))
        #expect(finding.fix?.contains("20000-32767") == true)
        #expect(finding.fixCommands.first?.contains("nodePort.range=\"20000\\,32767\"") == true)
        // The fix, applied, is safe.
        var fixed = config
        fixed.ciliumNodePortRange = PortRange(low: 20000, high: 32767)
        #expect(DataplaneCheck(allowed: Self.allowed, bpffs: nil, config: fixed).ciliumFinding(detectedBy: []).verdict == .safe)
    }

    @Test("Cilium's node_config.h range wins over the NodePort arithmetic")
    func ciliumNodeConfigHeader() {
        var config = DataplaneConfig()
        config.read(
            nodeConfigHeader: "#define NODEPORT_PORT_MIN 30000\n#define NODEPORT_PORT_MIN_NAT 25000\n#define NODEPORT_PORT_MAX_NAT 65535\n",
            file: "/var/run/cilium/state/globals/node_config.h")
        let finding = DataplaneCheck(allowed: Self.allowed, bpffs: nil, config: config).ciliumFinding(detectedBy: [])
        #expect(finding.ports == PortRange(low: 25000, high: 65535))
        #expect(finding.portsFrom.contains("node_config.h"))
        #expect(finding.verdict == .atRisk)
    }

    @Test("Cilium when the allowed ports do not reach 65535: no NodePort range helps, says so")
    func ciliumUnfixableByNodePorts() {
        let allowed = PortRangeSet([PortRange(low: 1024, high: 60000)!])
        let finding = DataplaneCheck(allowed: allowed, bpffs: nil, config: DataplaneConfig()).ciliumFinding(detectedBy: [])
        #expect(finding.verdict == .atRisk)
        #expect(finding.fix?.contains("no NodePort range") == true)
    }

    @Test("Calico's default BPFPSNATPorts 20000:29999 is at risk under 32768-65535; the fix stays out of the ephemeral range")
    func calicoDefault() throws {
        let config = try Self.config(
            """
            apiVersion: projectcalico.org/v3
            kind: FelixConfiguration
            metadata: {name: default}
            spec:
              bpfEnabled: true
            """)
        let findings = DataplaneCheck(allowed: Self.allowed, bpffs: nil, config: config, nodePortRange: PortRange(low: 32768, high: 60999))
            .run()
        let finding = try #require(findings.first)
        #expect(finding.dataplane == .calico)
        #expect(finding.ports == PortRange(low: 20000, high: 29999))
        #expect(finding.verdict == .atRisk)
        #expect(
            finding.fixCommands == [
                "kubectl patch felixconfiguration default --type merge -p '{\"spec\":{\"bpfPSNATPorts\":\"61000:65535\"}}'"
            ])
    }

    @Test("Calico's bpfPSNATPorts read from an exported List")
    func calicoConfigured() throws {
        let config = try Self.config(
            """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: crd.projectcalico.org/v1
              kind: FelixConfiguration
              metadata: {name: default}
              spec: {bpfEnabled: true, bpfPSNATPorts: "61000:65535"}
            """)
        #expect(config.calicoPSNATPorts == PortRange(low: 61000, high: 65535))
        let finding = DataplaneCheck(allowed: Self.allowed, bpffs: nil, config: config).calicoFinding(detectedBy: [])
        #expect(finding.verdict == .safe)
        #expect(finding.portsFrom.contains("bpfPSNATPorts"))
    }

    @Test("a bad range in the exported config is an error naming the file and key")
    func badRange() {
        #expect(throws: DataplaneConfig.ParseError.self) {
            try Self.config("kind: FelixConfiguration\nspec: {bpfPSNATPorts: \"lots\"}\n")
        }
    }

    @Test("check's verdict includes the dataplanes'")
    func checkVerdict() {
        var report = CheckReport(
            host: "h", netns: nil, generatedAt: "t", allowed: Self.allowed, podNetworks: [],
            inputs: [], sources: [], nodePortRange: nil, findings: [], notes: [])
        #expect(report.verdict == .safe)
        report.dataplanes = [DataplaneCheck(allowed: Self.allowed, bpffs: nil, config: DataplaneConfig()).calicoFinding(detectedBy: [])]
        #expect(report.verdict == .atRisk)
    }

    static func bpfFlow(source: String, port: UInt16, translated: String, translatedPort: UInt16) -> Flow {
        let src = IPAddress(source)!
        let dst = IPAddress("1.1.1.1")!
        return Flow(
            family: src.family,
            original: Tuple(source: src, destination: dst, proto: .tcp, sourcePort: port, destinationPort: 443),
            reply: Tuple(source: dst, destination: IPAddress(translated)!, proto: .tcp, sourcePort: 443, destinationPort: translatedPort),
            status: [.sourceNAT, .seenReply, .confirmed])
    }

    @Test(
        "BPF flows: counted per dataplane, not as conntrack entries read, deduplicated; Calico host flows audited whatever the pod networks"
    )
    func accumulation() throws {
        let policy = AuditPolicy(podNetworks: [try IPNetwork(parsing: "10.0.0.0/16")])
        var accumulator = AuditAccumulator(policy: policy)
        let pod = Self.bpfFlow(source: "10.0.1.5", port: 40000, translated: "192.0.2.10", translatedPort: 1024)
        accumulator.add(pod, dataplane: .cilium)
        accumulator.add(pod, dataplane: .cilium)  // a restarted walk
        let host = Self.bpfFlow(source: "192.0.2.10", port: 40001, translated: "192.0.2.10", translatedPort: 20001)
        accumulator.add(host, dataplane: .calico)
        accumulator.add(host, dataplane: .cilium)  // a node flow in Cilium's table: pod scope applies
        let summary = accumulator.summary
        #expect(summary.flowsRead == 0)
        #expect(summary.violations == 2)
        #expect(summary.outOfScope == 1)
        #expect(summary.counts(for: .cilium).violations == 1)
        #expect(summary.counts(for: .calico).violations == 1)
        #expect(summary.counts(for: .conntrack).violations == 0)
        #expect(Set(accumulator.violations.map(\.dataplane)) == [.cilium, .calico])
    }
}
