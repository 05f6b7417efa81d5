import ArgumentParser


import Glibc
import Policy
import NodeState

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
    }

    /// The config file in force: --config, else the default path when present.
    func load() throws -> ConfigFile? {
        // A config mistake is bad input: exit 2 (ExitStatus), one line with file and line.
        if let config { return try ConfigFile.load(path: config) }
        if noConfig || access(ConfigFile.defaultPath, F_OK) != 0 { return nil }
        return try ConfigFile.load(path: ConfigFile.defaultPath)
    }

    /// The audit policy: flags override the profile, which overrides the file.
    func policy(flags: PolicyOptions) throws -> AuditPolicy {
        try policyAndOrigin(flags: flags).policy
    }

    /// The policy, and where its pod networks were given (`--pod-cidr` or
    /// the config file's path; nil when neither gave any).
    func policyAndOrigin(flags: PolicyOptions) throws -> (policy: AuditPolicy, podCIDRsFrom: String?) {
        let file = try load()
        if flags.allowFlag != nil && profile != nil {
            throw ValidationError("--allow and --profile both set the allowed ports; use one")
        }
        if !flags.firewallFiles.isEmpty && profile != nil {
            throw ValidationError("--firewall and --profile both say what the firewall admits; use one")
        }
        var allowed = file?.allowed ?? file?.profileName.flatMap { file?.profile(named: $0)?.allowed } ?? .defaultAllowed
        if let profile {
            let known = file?.knownProfileNames ?? UpstreamProfile.builtIn.map(\.name)
            guard let found = file?.profile(named: profile) ?? UpstreamProfile.builtIn(named: profile) else {
                throw ValidationError("unknown profile '\(profile)' (known: \(known.joined(separator: ", ")))")
            }
            allowed = found.allowed
        }
        if let flag = flags.allowFlag { allowed = flag }
        let podCIDRsFrom: String? = !flags.podCIDRs.isEmpty ? "--pod-cidr"
            : (file?.podNetworks ?? []).isEmpty ? nil : (config ?? ConfigFile.defaultPath)
        let podNetworks = flags.podCIDRs.isEmpty ? file?.podNetworks ?? [] : flags.podCIDRs
        let excluded = flags.excludedDestinations.isEmpty ? file?.excludedDestinations ?? [] : flags.excludedDestinations
        let services = flags.serviceCIDRs.isEmpty ? file?.serviceNetworks ?? [] : flags.serviceCIDRs
        // --firewall, else the config's firewall unless --allow/--profile override it.
        let firewallFiles = !flags.firewallFiles.isEmpty ? flags.firewallFiles
            : (flags.allowFlag == nil && profile == nil ? file?.firewallFiles ?? [] : [])
        if !firewallFiles.isEmpty {
            let firewall: FirewallPolicy
            do {
                firewall = try FirewallFile.load(paths: firewallFiles)
            } catch {
                // A firewall file that cannot be used is bad input: exit 2, file and place.
                throw ValidationError(error.description)
            }
            return (AuditPolicy(firewall: firewall, podNetworks: podNetworks, excludedDestinations: excluded,
                                serviceNetworks: services), podCIDRsFrom)
        }
        let policy = AuditPolicy(allowed: allowed, podNetworks: podNetworks, excludedDestinations: excluded,
                                 serviceNetworks: services)
        return (policy, podCIDRsFrom)
    }
}
