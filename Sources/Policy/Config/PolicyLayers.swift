/// Where the audit policy comes from, lowest first: the built-in default
/// (32768-65535, no pod networks), the config file, a named profile, then
/// the values given on the command line. Each setting is taken from the
/// highest layer that sets it; the allowed ports and the firewall files are
/// one setting ("what the firewall admits"), so a higher layer's ports
/// replace a lower layer's firewall files and the other way round.
public struct PolicyLayers: Sendable {
    public var file: ConfigFile?
    /// The profile named above the file (a built-in one, or one the file defines).
    public var profile: String?
    /// Allowed ports given above the profile.
    public var allowed: PortRangeSet?
    public var firewallFiles: [String] = []
    public var podNetworks: [IPNetwork] = []
    public var excludedDestinations: [IPNetwork] = []
    public var serviceNetworks: [IPNetwork] = []

    public init(
        file: ConfigFile? = nil, profile: String? = nil, allowed: PortRangeSet? = nil, firewallFiles: [String] = [],
        podNetworks: [IPNetwork] = [], excludedDestinations: [IPNetwork] = [], serviceNetworks: [IPNetwork] = []
    ) {
        self.file = file
        self.profile = profile
        self.allowed = allowed
        self.firewallFiles = firewallFiles
        self.podNetworks = podNetworks
        self.excludedDestinations = excludedDestinations
        self.serviceNetworks = serviceNetworks
    }

    /// Two layers that may not be combined, or a name no layer knows. The
    /// command line words these with its own flag names.
    public enum Conflict: Error, Hashable, Sendable {
        /// Ports and a profile given together at the top.
        case allowedAndProfile
        /// Firewall files and a profile given together at the top.
        case firewallAndProfile
        /// Ports and firewall files given together at the top.
        case allowedAndFirewall
        case unknownProfile(String, known: [String])
    }

    /// The firewall files in force: the top layer's, else the file's unless
    /// ports or a profile above it replace them. Read these (NodeState's
    /// FirewallFile) and pass the result to `resolve`.
    public func firewallFilesInForce() throws(Conflict) -> [String] {
        try checkConflicts()
        if !firewallFiles.isEmpty { return firewallFiles }
        return allowed == nil && profile == nil ? file?.firewallFiles ?? [] : []
    }

    /// Where the pod networks were given: the top layer (`topLabel`), the
    /// file (`fileLabel`, its path), or nil when no layer gives any.
    public func podNetworksOrigin(topLabel: String) -> String? {
        if !podNetworks.isEmpty { return topLabel }
        guard let file, !(file.podNetworks ?? []).isEmpty else { return nil }
        return file.path
    }

    /// The policy. `firewall` is what `firewallFilesInForce()` named, read.
    public func resolve(firewall: FirewallPolicy? = nil) throws(Conflict) -> AuditPolicy {
        try checkConflicts()
        let podNetworks = podNetworks.isEmpty ? file?.podNetworks ?? [] : podNetworks
        let excluded = excludedDestinations.isEmpty ? file?.excludedDestinations ?? [] : excludedDestinations
        let services = serviceNetworks.isEmpty ? file?.serviceNetworks ?? [] : serviceNetworks
        if let firewall {
            return AuditPolicy(
                firewall: firewall, podNetworks: podNetworks, excludedDestinations: excluded,
                serviceNetworks: services)
        }
        return AuditPolicy(
            allowed: try allowedPorts(), podNetworks: podNetworks, excludedDestinations: excluded,
            serviceNetworks: services)
    }

    /// The allowed ports: the top layer's, else the profile's, else the
    /// file's `allow` or its profile's, else the built-in default.
    public func allowedPorts() throws(Conflict) -> PortRangeSet {
        if let allowed { return allowed }
        if let profile {
            guard let found = file?.profile(named: profile) ?? UpstreamProfile.builtIn(named: profile) else {
                throw .unknownProfile(profile, known: file?.knownProfileNames ?? UpstreamProfile.builtIn.map(\.name))
            }
            return found.allowed
        }
        return file?.allowed ?? file?.profileName.flatMap { file?.profile(named: $0)?.allowed } ?? .defaultAllowed
    }

    private func checkConflicts() throws(Conflict) {
        if allowed != nil && profile != nil { throw .allowedAndProfile }
        if !firewallFiles.isEmpty && profile != nil { throw .firewallAndProfile }
        if !firewallFiles.isEmpty && allowed != nil { throw .allowedAndFirewall }
        if let profile, file?.profile(named: profile) ?? UpstreamProfile.builtIn(named: profile) == nil {
            throw .unknownProfile(profile, known: file?.knownProfileNames ?? UpstreamProfile.builtIn.map(\.name))
        }
    }
}
