/// `pod.lookup`: why the other keys are null or not. Without it, "looked
/// up and found nothing" and "not looked up" (`--no-pods`) were the same
/// all-null object. Added to ctaudit.audit/v1; every older key is kept.
public enum PodLookup: String, Hashable, Sendable {
    /// Something beyond the address is known (container, netns, name or UID).
    case identified
    /// Several live namespaces hold the address and nothing pins one: see `other_netns`.
    case ambiguous
    /// Looked up; the node's files and namespaces know nothing beyond the address.
    case ipOnly = "ip_only"
    /// Not looked up: `--no-pods`, and `watch`, which never names pods.
    case disabled

    public init(_ pod: PodIdentity) {
        if !pod.isOnlyAddress {
            self = .identified
        } else {
            self = pod.otherNetns.isEmpty ? .ipOnly : .ambiguous
        }
    }
}
