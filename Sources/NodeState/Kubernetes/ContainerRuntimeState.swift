/// What the container runtime keeps on the node about a pod sandbox: its
/// OCI bundle's config.json, whose annotations name the pod and whose
/// linux.namespaces name its network namespace. No API server needed.
public struct ContainerRuntimeState: Sendable {
    public struct Sandbox: Hashable, Sendable {
        public var name: String?
        public var namespace: String?
        public var uid: String?
        /// linux.namespaces[type=network].path, e.g. /var/run/netns/cni-1234.
        public var netnsPath: String?
        public var file: String
    }

    /// Bundle config files, `ID` replaced by the container id: containerd
    /// (upstream, k3s, MicroK8s) and CRI-O.
    public static let bundleConfigPaths = [
        "/run/containerd/io.containerd.runtime.v2.task/k8s.io/ID/config.json",
        "/run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/ID/config.json",
        "/var/snap/microk8s/common/run/containerd/io.containerd.runtime.v2.task/k8s.io/ID/config.json",
        "/run/containers/storage/overlay-containers/ID/userdata/config.json",
    ]

    public var root: NodeRoot

    public init(root: NodeRoot) {
        self.root = root
    }

    /// Container ids are hex (64 for containerd/CRI-O/Docker); anything that
    /// could leave the directory is refused before it becomes a path.
    public static func isContainerID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 128 && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// The sandbox with this id; a config.json that is not JSON is a warning.
    public func sandbox(_ containerID: String, warnings: inout [KubernetesWarning]) -> Sandbox? {
        guard Self.isContainerID(containerID) else { return nil }
        for template in Self.bundleConfigPaths {
            let nodePath = template.replacingID(with: containerID)
            // A bundle of another layout is simply absent; unreadable ones are too.
            guard let text = try? root.read(nodePath) else { continue }
            let file = root.path(nodePath)
            let document: JSONDocument
            do {
                document = try JSONDocument(parsing: text)
            } catch {
                warnings.append(KubernetesWarning(subject: file, message: "\(error); skipped"))
                continue
            }
            let annotations = document["annotations"]
            func annotation(_ keys: String...) -> String? {
                keys.lazy.compactMap { annotations?[$0]?.stringValue }.first
            }
            let network = document["linux"]?["namespaces"]?.arrayValue.first { $0["type"]?.stringValue == "network" }
            return Sandbox(
                name: annotation("io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name"),
                namespace: annotation("io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace"),
                uid: annotation("io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid"),
                netnsPath: network?["path"]?.stringValue,
                file: file
            )
        }
        return nil
    }
}

extension String {
    fileprivate func replacingID(with id: String) -> String {
        split(separator: "/", omittingEmptySubsequences: false).map { $0 == "ID" ? id : String($0) }.joined(separator: "/")
    }
}
