import ArgumentParser
import Conntrack
import Engines
import NodeState
import Policy

/// What audit, stats and watch look at, resolved once and in one order:
/// the namespace (entered once, so a missing one fails before anything else
/// is said), the policy (flags over --profile over the config file), then
/// Kubernetes awareness (pod networks from the node when none were given),
/// then its warnings. `Node` is what the command offers about the node's
/// files: `KubernetesOptions` for audit (names pods), `NodeRootOptions` for
/// stats and watch.
struct TargetOptions<Node: NodeOptions, Wording: PolicyWording>: ParsableArguments {
    @OptionGroup var policy: PolicyOptions<Wording>
    @OptionGroup var configFile: ConfigOptions
    @OptionGroup var namespace: NamespaceOptions
    @OptionGroup var kubernetes: Node

    func validate() throws { try configFile.validate(with: policy) }

    struct Resolved {
        var namespace: NetworkNamespace?
        var policy: AuditPolicy
        var awareness: KubernetesAwareness
        /// Where the pod networks came from, and what could not be read.
        var kubernetes: KubernetesContext
    }

    /// `printWarnings`: false for audit, which prints them after the dump
    /// together with those of pod attribution.
    func resolve(printWarnings: Bool = true) throws -> Resolved {
        let netns = try namespace.resolve()
        try netns?.withEntered {}
        var (resolvedPolicy, podCIDRsFrom) = try configFile.policyAndOrigin(flags: policy)
        let awareness = kubernetes.awareness(namespace: netns)
        var context = awareness.preparePolicy(&resolvedPolicy)
        if context.podCIDRsSource == .configured { context.configuredFrom = podCIDRsFrom }
        if printWarnings { KubernetesOptions.printWarnings(context.warnings) }
        return Resolved(namespace: netns, policy: resolvedPolicy, awareness: awareness, kubernetes: context)
    }
}
