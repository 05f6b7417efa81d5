import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy

@Suite("Kubernetes pod attribution")
struct KubernetesAttributionTests {
    typealias F = KubernetesFixtures

    static func namespace(
        _ inode: UInt64, names: [String] = [], pids: [Int32] = [], ids: [String] = [],
        uid: String? = nil, addresses: [String]
    ) -> LiveNamespace {
        var namespace = LiveNamespace(inode: inode)
        namespace.names = names
        namespace.pids = pids
        namespace.containerIDs = ids
        namespace.podUID = uid
        namespace.addresses = Set(addresses.map { IPAddress($0)! })
        return namespace
    }

    static func attribution(_ node: String, _ live: [LiveNamespace]) -> PodAttribution {
        PodAttribution(
            ipam: HostLocalIPAMState(root: F.root(node)), runtime: ContainerRuntimeState(root: F.root(node)),
            live: LiveNamespaceIndex(namespaces: live))
    }

    @Test("a pod namespace that ended since it was listed is skipped without a warning (churn, not a problem)")
    func vanishedNamespaceIsNotAWarning() {
        // Named under /run/netns but gone: the name no longer opens.
        let gone = Self.namespace(1, names: ["ctaudit-test-gone-\(UniqueName.tag(length: 8))"], addresses: ["10.244.1.7"])
        var attribution = Self.attribution("kubeadm-flannel", [gone])
        let result = PodPortRangeScan.scan(
            attribution: &attribution, admissions: AuditPolicy().admissions,
            podNetworks: [try! IPNetwork(parsing: "10.244.0.0/16")])
        #expect(result.warnings.isEmpty, "\(result.warnings)")
        #expect(result.scanned == 0 && result.findings.isEmpty)
    }

    @Test func hostLocalStateReadsContainerIDsAndSkipsLockFiles() {
        let state = HostLocalIPAMState(root: F.root("kubeadm-flannel"))
        #expect(state.warnings.isEmpty)
        #expect(state.allocations.count == 1)
        let allocation = state.allocations[IPAddress("10.244.1.7")!]
        #expect(allocation?.containerID == F.kubeadmSandbox)  // "\r\neth0" after it
        #expect(allocation?.network == "cbr0")
    }

    @Test func ipamRuntimeAndLiveNamespaceNameThePod() {
        let live = [
            Self.namespace(
                10, names: ["cni-7b0e9c52-3d4f-1a2b-8c9d-0e1f2a3b4c5d"], pids: [4242], ids: [F.kubeadmSandbox],
                addresses: ["10.244.1.7", "fd00::7"]),
            Self.namespace(11, names: ["cni-other"], addresses: ["10.244.1.8"]),
        ]
        var attribution = Self.attribution("kubeadm-flannel", live)
        let pod = attribution.identify(IPAddress("10.244.1.7")!)
        #expect(pod.containerID == F.kubeadmSandbox)
        #expect(pod.netns == "cni-7b0e9c52-3d4f-1a2b-8c9d-0e1f2a3b4c5d")
        #expect(pod.name == "web-5d8c7b9f6-x2k4q")
        #expect(pod.namespace == "shop")
        #expect(pod.uid == "6a1c3f0e-2b7d-4e8a-9c5f-1d2e3f4a5b6c")
        #expect(pod.ipamNetwork == "cbr0")
        #expect(pod.description == "shop/web-5d8c7b9f6-x2k4q (netns cni-7b0e9c52-3d4f-1a2b-8c9d-0e1f2a3b4c5d)")
        // The pod's IPv6 address has no IPAM file but lives in the same namespace.
        let v6 = attribution.identify(IPAddress("fd00::7")!)
        #expect(v6.netns == pod.netns && v6.name == pod.name)
    }

    @Test func ipamAndRuntimeAloneWhenTheNamespaceIsGone() {
        var attribution = Self.attribution("k3s", [])
        let pod = attribution.identify(IPAddress("10.42.0.9")!)
        #expect(pod.name == "coredns-6799fbcd5-9jw2m" && pod.namespace == "kube-system")
        #expect(pod.netns == "cni-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d")  // from the runtime's config.json
    }

    @Test func liveCgroupContainerIDFindsTheRuntimeStateWithoutIPAM() {
        // MicroK8s runs calico-ipam: no host-local files, only the live namespace's cgroup.
        let live = [
            Self.namespace(
                20, pids: [777], ids: [F.microk8sSandbox], uid: "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
                addresses: ["10.1.154.12"])
        ]
        var attribution = Self.attribution("microk8s", live)
        let pod = attribution.identify(IPAddress("10.1.154.12")!)
        #expect(pod.netns == "/proc/777/ns/net")
        #expect(pod.containerID == F.microk8sSandbox)
        #expect(pod.name == "image-puller-0" && pod.namespace == "ci")
    }

    @Test func crioAnnotationsNameThePod() {
        let live = [
            Self.namespace(30, names: ["3c2b1a09-8f7e-6d5c-4b3a-291807f6e5d4"], ids: [], addresses: ["192.168.4.5"]),
            Self.namespace(31, names: ["other"], ids: [F.crioSandbox], addresses: ["192.168.4.6"]),
        ]
        var attribution = Self.attribution("calico-ippool", live)
        let pod = attribution.identify(IPAddress("192.168.4.6")!)
        #expect(pod.name == "api-7f9c8d-abcde" && pod.namespace == "payments" && pod.netns == "other")
    }

    @Test func severalNamespacesWithTheAddressAreNotGuessed() {
        let live = [
            Self.namespace(40, names: ["lab1-pod2"], addresses: ["10.244.0.3"]),
            Self.namespace(41, names: ["lab2-pod2"], addresses: ["10.244.0.3"]),
        ]
        var attribution = Self.attribution("routes-only", live)
        let pod = attribution.identify(IPAddress("10.244.0.3")!)
        #expect(pod.netns == nil)
        #expect(pod.otherNetns == ["lab1-pod2", "lab2-pod2"])
        #expect(pod.isOnlyAddress)
    }

    @Test func unknownAddressSaysOnlyTheIPIsKnown() {
        var attribution = Self.attribution("routes-only", [])
        let pod = attribution.identify(IPAddress("10.9.9.9")!)
        #expect(pod.isOnlyAddress)
        #expect(pod.description == "10.9.9.9 (only the IP is known)")
    }

    @Test func brokenIPAMAndRuntimeFilesAreWarningsNotCrashes() {
        var attribution = Self.attribution("broken", [])
        // ../../../etc/shadow is not a container id and never becomes a path.
        #expect(attribution.ipam.allocations[IPAddress("10.22.0.5")!] == nil)
        #expect(attribution.warnings.contains { $0.subject.hasSuffix("/mynet/10.22.0.5") })
        let pod = attribution.identify(IPAddress("10.22.0.6")!)
        #expect(pod.containerID == F.crioSandbox && pod.name == nil)
        #expect(attribution.warnings.contains { $0.subject.hasSuffix("/config.json") && $0.message.contains("invalid JSON") })
    }

    @Test(arguments: [
        (
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod6a1c3f0e_2b7d_4e8a_9c5f_1d2e3f4a5b6c.slice/cri-containerd-\(KubernetesFixtures.kubeadmSandbox).scope",
            KubernetesFixtures.kubeadmSandbox, "6a1c3f0e-2b7d-4e8a-9c5f-1d2e3f4a5b6c"
        ),
        (
            "12:pids:/kubepods/burstable/pod6a1c3f0e-2b7d-4e8a-9c5f-1d2e3f4a5b6c/\(KubernetesFixtures.k3sSandbox)\n0::/",
            KubernetesFixtures.k3sSandbox, "6a1c3f0e-2b7d-4e8a-9c5f-1d2e3f4a5b6c"
        ),
        (
            "0::/kubepods.slice/kubepods-pod0c9b8a7f_6e5d_4c3b_2a19_0807f6e5d4c3.slice/crio-\(KubernetesFixtures.crioSandbox).scope",
            KubernetesFixtures.crioSandbox, "0c9b8a7f-6e5d-4c3b-2a19-0807f6e5d4c3"
        ),
    ])
    func cgroupPathsNameContainerAndPod(cgroup: String, id: String, uid: String) {
        #expect(ProcNetParser.containerID(cgroup: cgroup) == id)
        #expect(ProcNetParser.podUID(cgroup: cgroup) == uid)
    }

    @Test func cgroupOfAPlainProcessNamesNoContainer() {
        let cgroup = "0::/user.slice/user-0.slice/session-3.scope"
        #expect(ProcNetParser.containerID(cgroup: cgroup) == nil)
        #expect(ProcNetParser.podUID(cgroup: cgroup) == nil)
    }

    @Test func procNetAddresses() {
        let fibTrie = """
            Main:
              +-- 0.0.0.0/0 3 0 5
                 |-- 10.244.0.0
                    /24 link UNICAST
                 |-- 10.244.0.4
                    /32 host LOCAL
            Local:
              +-- 127.0.0.0/8 2 0 2
                 |-- 127.0.0.1
                    /32 host LOCAL
                 |-- 10.244.0.4
                    /32 host LOCAL
            """
        #expect(ProcNetParser.ipv4Addresses(fibTrie: fibTrie) == [IPAddress("10.244.0.4")!])
        let ifInet6 = """
            fd000010024400000000000000000004 02 40 00 80     eth0
            fe80000000000000b8e2c0fffe4f6a01 02 40 20 80     eth0
            00000000000000000000000000000001 01 80 10 80       lo
            """
        #expect(ProcNetParser.ipv6Addresses(ifInet6: ifInet6) == [IPAddress("fd00:10:244::4")!])
        #expect(ProcNetParser.namespaceInode(link: "net:[4026532281]") == 4026532281)
    }

    @Test(arguments: [
        (1024, 2047, "1024-2047"), (32768, 60999, ""), (20000, 40000, "20000-32767"), (1, 65535, "1-32767"),
    ])
    func portRangeOutsideAllowed(low: Int, high: Int, outside: String) {
        let range = PortRange(low: UInt16(low), high: UInt16(high))!
        #expect(PodPortRangeScan.outside(range, allowed: .defaultAllowed).description == outside)
    }
}
