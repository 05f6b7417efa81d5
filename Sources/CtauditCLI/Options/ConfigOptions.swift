import ArgumentParser
import Glibc
import NodeState
import Policy

/// The config file and upstream profile, layered under the policy flags:
/// built-in default < config file < --profile < --allow/--pod-cidr/--exclude-dst.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "YAML config with pod_cidrs, exclude_dst, profile/allow and profiles (docs/CONFIG.md). Default: \(ConfigFile.defaultPath) when it exists.",
            valueName: "file"),
        completion: .file(extensions: ["yaml", "yml"])
    )
    var config: String?

    @Flag(name: .customLong("no-config"), help: "Do not read \(ConfigFile.defaultPath).")
    var noConfig = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Upstream firewall profile: \(UpstreamProfile.builtIn.map { "\($0.name) (\($0.allowed))" }.joined(separator: ", ")), or one defined in the config file.",
            valueName: "name"),
        completion: .list(UpstreamProfile.builtIn.map(\.name))
    )
    var profile: String?

    func validate() throws {
        if config != nil && noConfig { throw ValidationError("--config and --no-config cannot be used together") }
        try InputPath.validate(config, option: "--config")
    }

    /// Conflicts between the policy flags and --profile, then the files
    /// they name: said before any work, in that order (a conflict is the
    /// clearer mistake).
    func validate<Wording>(with flags: PolicyOptions<Wording>) throws {
        if flags.allowFlag != nil && profile != nil { throw ValidationError(Self.words(.allowedAndProfile)) }
        if !flags.firewallFiles.isEmpty && profile != nil { throw ValidationError(Self.words(.firewallAndProfile)) }
        try InputPath.validate(flags.firewallFiles, option: "--firewall")
    }

    /// The config file in force: --config, else the default path when present.
    func load() throws -> ConfigFile? {
        // A config mistake is bad input: exit 2 (ExitStatus), one line with file and line.
        if let config { return try ConfigFile.load(path: config) }
        if noConfig || access(ConfigFile.defaultPath, F_OK) != 0 { return nil }
        return try ConfigFile.load(path: ConfigFile.defaultPath)
    }

    /// The audit policy: flags over the profile over the file (PolicyLayers).
    func policy<Wording>(flags: PolicyOptions<Wording>) throws -> AuditPolicy {
        try policyAndOrigin(flags: flags).policy
    }

    /// The policy, and where its pod networks were given (`--pod-cidr` or
    /// the config file's path; nil when neither gave any).
    func policyAndOrigin<Wording>(flags: PolicyOptions<Wording>) throws -> (policy: AuditPolicy, podCIDRsFrom: String?) {
        let layers = PolicyLayers(
            file: try load(), profile: profile, allowed: flags.allowFlag, firewallFiles: flags.firewallFiles,
            podNetworks: flags.podCIDRs, excludedDestinations: flags.excludedDestinations,
            serviceNetworks: flags.serviceCIDRs)
        do {
            let files = try layers.firewallFilesInForce()
            var firewall: FirewallPolicy?
            // A firewall file that cannot be used is bad input: FirewallFileError, exit 2.
            if !files.isEmpty { firewall = try FirewallFile.load(paths: files) }
            return (try layers.resolve(firewall: firewall), layers.podNetworksOrigin(topLabel: "--pod-cidr"))
        } catch let conflict as PolicyLayers.Conflict {
            throw ValidationError(Self.words(conflict))
        }
    }

    /// A conflict between layers, in this command line's flag names.
    static func words(_ conflict: PolicyLayers.Conflict) -> String {
        switch conflict {
        case .allowedAndProfile: "--allow and --profile both set the allowed ports; use one"
        case .firewallAndProfile: "--firewall and --profile both say what the firewall admits; use one"
        case .allowedAndFirewall: "--firewall and --allow both say what the firewall admits; use one"
        case let .unknownProfile(name, known): "unknown profile '\(name)' (known: \(known.joined(separator: ", ")))"
        }
    }
}
