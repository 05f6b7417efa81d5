import Conntrack

/// ctaudit's YAML config (docs/CONFIG.md): the pod networks, destinations
/// to ignore, and the upstream firewall, so cron jobs and DaemonSets need no
/// long command lines.
///
/// ```yaml
/// profile: hetzner-robot
/// pod_cidrs: [10.1.0.0/16, fd00:10:1::/56]
/// exclude_dst: [10.0.0.0/8]
/// service_cidrs: [10.96.0.0/12]
/// profiles:
///   office-acl:
///     allow: 1024-2047,32768-65535
///     description: the office's edge ACL
/// ```
///
/// Strict on purpose: a misspelt key (`pod_cidr`) would silently widen the
/// audit to every flow, so unknown keys and bad values are errors naming
/// the file and line.
public struct ConfigFile: Hashable, Sendable {
    public static let defaultPath = "/etc/ctaudit/config.yaml"
    static let topLevelKeys = ["profile", "allow", "firewall", "pod_cidrs", "exclude_dst", "service_cidrs", "profiles"]
    static let profileKeys = ["allow", "description"]

    public var path: String
    /// The profile named by `profile:`.
    public var profileName: String?
    public var allowed: PortRangeSet?
    /// `firewall:` files (docs/FIREWALL.md), relative paths resolved against the config's directory.
    public var firewallFiles: [String]?
    public var podNetworks: [IPNetwork]?
    public var excludedDestinations: [IPNetwork]?
    /// Service (cluster IP) networks: peers there are node-local.
    public var serviceNetworks: [IPNetwork]?
    /// Profiles defined in the file, in file order.
    public var profiles: [UpstreamProfile] = []

    public init(path: String) {
        self.path = path
    }

    /// Parses YAML text; `path` only labels errors.
    public static func parse(_ text: String, path: String) throws(ConfigError) -> ConfigFile {
        var config = ConfigFile(path: path)
        let root: StrictYAML.Node?
        do {
            root = try StrictYAML.parse(text)
        } catch {
            throw ConfigError(path: path, line: error.line, message: "invalid YAML: \(error.message)")
        }
        guard let root else { return config }  // an empty file is an empty config
        guard let mapping = root.mapping else {
            throw ConfigError(
                path: path, line: root.line, message: "expected a mapping of settings (\(topLevelKeys.joined(separator: ", ")))")
        }
        let reader = NodeReader(path: path)
        for (key, value) in try reader.entries(mapping, allowed: topLevelKeys, what: "setting") {
            switch key {
            case "profile":
                config.profileName = try reader.scalar(value, key: key)
            case "allow":
                config.allowed = try reader.ports(value, key: key)
            case "firewall":
                config.firewallFiles = try reader.paths(value, key: key, relativeTo: path)
            case "pod_cidrs":
                config.podNetworks = try reader.networks(value, key: key)
            case "exclude_dst":
                config.excludedDestinations = try reader.networks(value, key: key)
            case "service_cidrs":
                config.serviceNetworks = try reader.networks(value, key: key)
            case "profiles":
                config.profiles = try reader.profiles(value)
            default:
                break
            }
        }
        if config.profileName != nil && config.allowed != nil {
            throw ConfigError(
                path: path, line: reader.line(of: "allow", in: mapping),
                message: "set either 'profile' or 'allow', not both")
        }
        if config.firewallFiles != nil && (config.profileName != nil || config.allowed != nil) {
            throw ConfigError(
                path: path, line: reader.line(of: "firewall", in: mapping),
                message: "set either 'firewall' or '\(config.allowed != nil ? "allow" : "profile")', not both")
        }
        if let name = config.profileName, config.profile(named: name) == nil {
            throw ConfigError(
                path: path, line: reader.line(of: "profile", in: mapping),
                message: "unknown profile '\(name)' (known: \(config.knownProfileNames.joined(separator: ", ")))")
        }
        return config
    }

    /// A profile from this file or a built-in one.
    public func profile(named name: String) -> UpstreamProfile? {
        profiles.first { $0.name == name } ?? UpstreamProfile.builtIn(named: name)
    }

    public var knownProfileNames: [String] {
        UpstreamProfile.builtIn.map(\.name) + profiles.map(\.name)
    }
}

/// Reads typed values out of the parsed nodes, turning every mismatch into a
/// `ConfigError` at the node's line.
struct NodeReader {
    var path: String

    func fail(_ node: StrictYAML.Node, _ message: String) -> ConfigError {
        ConfigError(path: path, line: node.line, message: message)
    }

    /// Key/value pairs of a mapping, rejecting unknown and repeated keys.
    func entries(_ mapping: [StrictYAML.Entry], allowed: [String], what: String) throws(ConfigError) -> [(String, StrictYAML.Node)] {
        var seen = Set<String>()
        var result: [(String, StrictYAML.Node)] = []
        for entry in mapping {
            let (keyNode, value) = (entry.key, entry.value)
            guard let key = keyNode.scalar else { throw fail(keyNode, "\(what) names must be plain strings") }
            guard allowed.contains(key) else {
                throw fail(keyNode, "unknown \(what) '\(key)' (expected one of: \(allowed.joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw fail(keyNode, "'\(key)' is set twice") }
            result.append((key, value))
        }
        return result
    }

    func line(of key: String, in mapping: [StrictYAML.Entry]) -> Int? {
        mapping.first { $0.key.scalar == key }?.key.line
    }

    func scalar(_ node: StrictYAML.Node, key: String) throws(ConfigError) -> String {
        guard let scalar = node.scalar else { throw fail(node, "'\(key)' must be a single value") }
        guard !scalar.isEmpty, !node.isNull else { throw fail(node, "'\(key)' has no value") }
        return scalar
    }

    /// `allow: 32768-65535`, `allow: "1024-2047,32768-65535"` or a list of ranges.
    func ports(_ node: StrictYAML.Node, key: String) throws(ConfigError) -> PortRangeSet {
        let text: String
        if let sequence = node.sequence {
            var pieces: [String] = []
            for item in sequence { pieces.append(try scalar(item, key: key)) }
            guard !pieces.isEmpty else { throw fail(node, "'\(key)' is an empty list") }
            text = pieces.joined(separator: ",")
        } else {
            text = try scalar(node, key: key)
        }
        do {
            return try PortRangeSet(parsing: text)
        } catch {
            throw fail(node, "'\(key)': \(error)")
        }
    }

    /// `firewall: robot.json` or a list of files; relative to the config file's directory.
    func paths(_ node: StrictYAML.Node, key: String, relativeTo configPath: String) throws(ConfigError) -> [String] {
        var items: [String] = []
        if let sequence = node.sequence {
            for item in sequence { items.append(try scalar(item, key: key)) }
            guard !items.isEmpty else { throw fail(node, "'\(key)' is an empty list") }
        } else {
            items = [try scalar(node, key: key)]
        }
        let directory = configPath.contains("/") ? String(configPath[..<configPath.lastIndex(of: "/")!]) : "."
        return items.map { $0.hasPrefix("/") ? $0 : (directory.isEmpty ? "/" : directory) + "/" + $0 }
    }

    func networks(_ node: StrictYAML.Node, key: String) throws(ConfigError) -> [IPNetwork] {
        guard let sequence = node.sequence else {
            throw fail(node, "'\(key)' must be a list, e.g. \(key): [10.1.0.0/16]")
        }
        var networks: [IPNetwork] = []
        for item in sequence {
            let text = try scalar(item, key: key)
            do {
                networks.append(try IPNetwork(parsingCIDR: text))
            } catch {
                throw fail(item, "'\(key)': \(error)")
            }
        }
        return networks
    }

    func profiles(_ node: StrictYAML.Node) throws(ConfigError) -> [UpstreamProfile] {
        guard let mapping = node.mapping else {
            throw fail(node, "'profiles' must map names to {allow: RANGES, description: TEXT}")
        }
        var profiles: [UpstreamProfile] = []
        for entry in mapping {
            let (nameNode, body) = (entry.key, entry.value)
            guard let name = nameNode.scalar, !name.isEmpty,
                name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
            else {
                throw fail(nameNode, "profile names may use letters, digits, '-', '_' and '.'")
            }
            if UpstreamProfile.builtIn(named: name) != nil {
                throw fail(nameNode, "profile '\(name)' is built in; give yours another name")
            }
            if profiles.contains(where: { $0.name == name }) { throw fail(nameNode, "profile '\(name)' is defined twice") }
            guard let fields = body.mapping else {
                throw fail(body, "profile '\(name)' must be a mapping with 'allow' (and optionally 'description')")
            }
            var allowed: PortRangeSet?
            var summary = ""
            for (key, value) in try entries(fields, allowed: ConfigFile.profileKeys, what: "profile setting") {
                if key == "allow" { allowed = try ports(value, key: "allow") }
                if key == "description" { summary = try scalar(value, key: "description") }
            }
            guard let allowed else { throw fail(nameNode, "profile '\(name)' has no 'allow'") }
            profiles.append(UpstreamProfile(name: name, allowed: allowed, summary: summary))
        }
        return profiles
    }
}
