import Conntrack
import TestSupport
import Testing

@testable import NodeState
@testable import Policy

@Suite("Kubernetes pod network discovery")
struct KubernetesDiscoveryTests {
    typealias F = KubernetesFixtures

    @Test func kubeadmFlannelUsesSubnetEnvAndKeepsTheClusterNetwork() {
        let result = PodNetworkDiscovery(root: F.root("kubeadm-flannel")).discover()
        #expect(result.warnings.isEmpty)
        // The node's 10.244.1.0/24 (host bits masked) is inside the cluster's /16.
        #expect(result.found.map(\.network) == F.networks("10.244.0.0/16", "10.244.1.0/24"))
        #expect(result.found.allSatisfy { $0.kind == .flannelSubnetEnv && $0.file.hasSuffix("/run/flannel/subnet.env") })
        #expect(result.networks == F.networks("10.244.0.0/16"))
    }

    @Test func k3sNetConfUnderRancherAndIgnoresTheDisabledIPv6Network() {
        let result = PodNetworkDiscovery(root: F.root("k3s")).discover()
        #expect(result.warnings.isEmpty)
        let netConf = result.found.filter { $0.kind == .flannelNetConf }
        #expect(netConf.map(\.network) == F.networks("10.42.0.0/16"))
        #expect(netConf.first?.file.hasSuffix("/var/lib/rancher/k3s/agent/etc/flannel/net-conf.json") == true)
        #expect(result.networks == F.networks("10.42.0.0/16"))
    }

    @Test func microk8sCalicoManifestAndKubeProxyArguments() {
        let result = PodNetworkDiscovery(root: F.root("microk8s")).discover()
        #expect(result.warnings.isEmpty)
        #expect(Set(result.found.map(\.kind)) == [.calicoIPPool, .kubeProxyArguments])
        #expect(result.found.contains { $0.kind == .calicoIPPool && $0.detail == "CALICO_IPV4POOL_CIDR" && $0.file.hasSuffix("cni.yaml") })
        #expect(result.networks == F.networks("10.1.0.0/16"))
    }

    @Test func calicoIPPoolsInYAMLAndJSONSkipDisabledPools() {
        let result = PodNetworkDiscovery(root: F.root("calico-ippool")).discover()
        #expect(result.warnings.isEmpty)
        #expect(result.networks == F.networks("10.200.0.0/20", "192.168.0.0/16", "fd5f:1e2d:3c4b::/48"))
        #expect(result.found.contains { $0.detail == "IPPool default-ipv6-ippool" })
        #expect(!result.found.contains { $0.network == F.networks("172.16.0.0/16")[0] })
    }

    @Test func routesToPodInterfacesAreTheLastResort() {
        let result = PodNetworkDiscovery(root: F.root("routes-only")).discover()
        #expect(result.found.allSatisfy { $0.kind == .route })
        let devices = Set(result.found.compactMap(\.detail))
        #expect(devices == ["dev cni0", "dev flannel.1"])
        // eth0, docker0, the blackhole (RTF_REJECT), link-local, multicast and default routes are not pods'.
        // Issue 22: nor are host routes (Calico's per-pod 10.244.0.7/32, a /128) or the
        // kernel's local and anycast routes for the bridge's own address (fd00:10:244::1/128,
        // fd00:10:244::/128): a pod network is a network, and one host would audit one pod.
        #expect(result.found.map(\.network) == F.networks("10.244.0.0/24", "10.244.1.0/24", "fd00:10:244::/64"))
        #expect(result.networks == F.networks("10.244.0.0/24", "10.244.1.0/24", "fd00:10:244::/64"))
    }

    @Test func brokenFilesBecomeWarningsNamingTheFileAndTheRestIsStillUsed() {
        let result = PodNetworkDiscovery(root: F.root("broken")).discover()
        let subjects = result.warnings.map(\.subject)
        #expect(subjects.contains { $0.hasSuffix("/etc/cni/net.d/10-broken.conflist") })
        #expect(subjects.contains { $0.hasSuffix("/etc/cni/net.d/30-empty.conflist") })
        #expect(subjects.contains { $0.hasSuffix("/etc/calico/pool.yaml") })
        let flannel = result.warnings.first { $0.subject.hasSuffix("/run/flannel/subnet.env") }
        #expect(flannel?.message == "FLANNEL_NETWORK=not-a-cidr is not a CIDR; that value is skipped")
        let broken = result.warnings.first { $0.subject.hasSuffix("10-broken.conflist") }
        #expect(broken?.message.contains("invalid JSON at line 7") == true)
        #expect(result.warnings.allSatisfy { !$0.message.contains("\n") })
        // 20-mynet.conf and subnet.env's good line still count.
        #expect(result.networks == F.networks("10.22.0.0/16"))
    }

    @Test func nothingOnTheNodeFindsNothing() {
        let result = PodNetworkDiscovery(root: NodeRoot("/nonexistent-ctaudit-root")).discover()
        #expect(result.found.isEmpty && result.networks.isEmpty && result.warnings.isEmpty)
    }

    @Test func outermostDropsNestedAndRepeatedNetworks() {
        let networks = F.networks("10.244.1.0/24", "10.244.0.0/16", "10.244.0.0/16", "fd00::/48", "fd00:0:0:1::/64", "10.245.0.0/16")
        #expect(PodNetworkDiscovery.outermost(networks) == F.networks("10.244.0.0/16", "10.245.0.0/16", "fd00::/48"))
    }

    @Test(arguments: [
        ("10.244.1.1/24", "10.244.1.0/24"), ("\"10.42.0.0/16\"", "10.42.0.0/16"), ("fd00:10:244::1/64", "fd00:10:244::/64"),
    ])
    func configFileCIDRsMaskHostBits(text: String, expected: String) {
        #expect(DiscoveredPodNetwork.network(text) == (try! IPNetwork(parsing: expected)))
    }

    @Test(arguments: ["::/0", "0.0.0.0/0", "10.0.0.0", "10.0.0.0/33", "x/8", ""])
    func configFileCIDRsRejectNonsense(text: String) {
        #expect(DiscoveredPodNetwork.network(text) == nil)
    }

    @Test func cniConfigNestedIPAMShapes() throws {
        let multus = """
            {"name":"multus","type":"multus","delegates":[{"name":"a","plugins":[{"type":"bridge","ipam":{"type":"host-local","ranges":[[{"subnet":"10.5.0.0/24"},{"subnet":"10.5.1.0/24"}],[{"subnet":"fd05::/64"}]]}}]}],
             "ipam2":{"ipam":{"type":"calico-ipam","ipv4_pools":["10.6.0.0/16","default-pool"]}}}
            """
        let found = try CNIConfigFile.networks(in: multus, file: "/x.conf")
        #expect(Set(found.map(\.network)) == Set(F.networks("10.5.0.0/24", "10.5.1.0/24", "fd05::/64", "10.6.0.0/16")))
    }

    @Test func jsonErrorsSayTheLine() {
        #expect(throws: JSONDocument.ParseError.self) { try JSONDocument(parsing: "{\n\"a\": [1,\n}") }
        do {
            _ = try JSONDocument(parsing: "{\n\"a\": [1,\n}")
        } catch {
            #expect(error.line == 3)
        }
        #expect((try? JSONDocument(parsing: #"{"a":"\u00e9\n","b":[true,false,null,-1.5e3]}"#))?["a"]?.stringValue == "é\n")
    }
}
