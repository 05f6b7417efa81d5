public import Conntrack

/// host-local IPAM's allocations: `/var/lib/cni/networks/NETWORK/IP`, each
/// file holding the container id (then a line with the interface name).
public struct HostLocalIPAMState: Sendable {
    public struct Allocation: Hashable, Sendable {
        public var containerID: String
        public var network: String
        /// The file, as a real path.
        public var file: String
    }

    public static let directory = "/var/lib/cni/networks"

    public private(set) var allocations: [IPAddress: Allocation] = [:]
    public private(set) var warnings: [KubernetesWarning] = []

    public init(root: NodeRoot) {
        for network in root.list(Self.directory) {
            let networkDirectory = "\(Self.directory)/\(network)"
            guard NodeFiles.isDirectory(root.path(networkDirectory)) else { continue }
            // Besides one file per address: `lock`, `last_reserved_ip.0`.
            for name in root.list(networkDirectory) {
                guard let address = IPAddress(name) else { continue }
                let file = root.path("\(networkDirectory)/\(name)")
                guard let text = NodeFiles.read(file, limit: .bytes(4096)) else {
                    warnings.append(KubernetesWarning(subject: file, message: "cannot be read; skipped"))
                    continue
                }
                let id = text.split(whereSeparator: \.isNewline).first.map { String($0).trimmingSpaces } ?? ""
                guard ContainerRuntimeState.isContainerID(id) else {
                    warnings.append(KubernetesWarning(subject: file, message: "does not start with a container id; skipped"))
                    continue
                }
                allocations[address] = Allocation(containerID: id, network: network, file: file)
            }
        }
    }
}
