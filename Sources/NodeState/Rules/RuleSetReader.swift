public import Conntrack
import FoundationEssentials
public import Policy

/// NAT rules read from files or from a live namespace, grouped the way the
/// kernel evaluates them (one group per iptables dump or nft ruleset).
public struct RuleSet: Sendable {
    public var groups: [[NATRule]] = []
    /// What was read, e.g. `iptables-nft-save -t nat (ipv4, 3 NAT rules)`, `file rules.json (nft)`.
    public var inputs: [String] = []
    public var notes: [String] = []

    public init() {}
}

/// Reads NAT rule sets: offline from files, or live by running the rule
/// tools (read-only listing commands) inside a network namespace with
/// `nsenter --net=PATH`.
public struct RuleSetReader: Sendable {
    /// The namespace to read; nil: ctaudit's own.
    public var namespace: NetworkNamespace?

    /// How errors name the files that would have helped: the caller's words.
    public var hints = ReaderHintWording.plain

    public init(namespace: NetworkNamespace?) { self.namespace = namespace }

    /// Parses `iptables-save` dumps and `nft -j list ruleset` files.
    ///
    /// A file that shows NAT rules exist but hides them (an iptables-nft
    /// nat table seen through nft JSON, or an nft-owned table seen through
    /// iptables-nft-save) without the other format beside it is refused: a
    /// verdict from it would say "safe" about rules it never read.
    public static func load(
        iptablesSave: [String], nftJSON: [String], hints: ReaderHintWording = .plain
    ) throws(CheckInputError) -> RuleSet {
        var set = RuleSet()
        for path in iptablesSave {
            let text = try readFile(path)
            let result = try IptablesSaveParser(origin: path).parse(text)
            set.groups.append(result.rules)
            set.inputs.append("file \(path) (\(result.family == .ipv6 ? "ip6tables" : "iptables")-save, \(result.rules.count) NAT rule(s))")
            if result.nftOwnedTable && nftJSON.isEmpty {
                throw CheckInputError(
                    origin: path,
                    reason:
                        "iptables-nft-save says the nat table belongs to nft, so its rules are not in this file: add the node's 'nft -j list ruleset' output (\(hints(.nftJSONFiles)))"
                )
            }
            if result.nftOwnedTable {
                // Only reached with nft JSON beside it (refused above otherwise).
                set.notes.append("\(path): iptables-nft-save says the nat table belongs to nft: its rules are read from the nft JSON")
            } else if !result.hasNatTable {
                set.notes.append("\(path) has no *nat table: give 'iptables-save -t nat' output")
            }
        }
        for path in nftJSON {
            let bytes = Array(try readFile(path).utf8)
            let result = try NftRulesetParser(origin: path).parse(bytes)
            set.groups.append(result.rules)
            set.inputs.append("file \(path) (nft, \(result.tables.count) table(s), \(result.rules.count) NAT rule(s))")
            if let table = result.hiddenNATTables.first, iptablesSave.isEmpty {
                throw CheckInputError(
                    origin: path,
                    reason:
                        "table \(table) was written by iptables-nft and nft JSON does not show its NAT options (--to-ports, --random-fully): add the node's 'iptables-save -t nat' output (\(hints(.iptablesSaveFiles)))"
                )
            }
            for table in result.iptablesNftTables {
                // A nat table only gets here with iptables-save output beside
                // it (refused above otherwise); other tables have no postrouting NAT chain.
                let source =
                    result.hiddenNATTables.contains(table)
                    ? "its NAT rules are read from the iptables-save output"
                    : "it has no postrouting NAT chain"
                set.notes.append("\(path): table \(table) was written by iptables-nft (nft JSON hides its options); \(source)")
            }
        }
        return set
    }

    /// Lists the live rules. Missing tools are skipped (and said); none at all
    /// is an environment error.
    public func read() throws -> RuleSet {
        var set = RuleSet()
        var ranAny = false
        if let nft = Self.which("nft") {
            let output = try run(nft, ["-j", "list", "ruleset"], describe: "nft -j list ruleset")
            ranAny = true
            let result = try NftRulesetParser(origin: "nft -j list ruleset").parse(Array(output.utf8))
            set.groups.append(result.rules)
            set.inputs.append(
                "nft -j list ruleset (\(result.tables.count) table(s), \(result.rules.count) NAT rule(s) outside iptables-nft tables)")
        }
        for ipv6 in [false, true] {
            let prefix = ipv6 ? "ip6tables" : "iptables"
            for (tool, backend) in try tools(prefix: prefix, ipv6: ipv6) {
                let command = "\(tool.split(separator: "/").last!) -t nat"
                let output = try run(tool, ["-t", "nat"], describe: command)
                ranAny = true
                if output.trimmingSpaces.isEmpty { continue }
                let parser = IptablesSaveParser(origin: command, defaultFamily: ipv6 ? .ipv6 : .ipv4)
                let result = try parser.parse(output)
                set.groups.append(result.rules)
                set.inputs.append("\(command) (\(backend), \(result.rules.count) NAT rule(s))")
            }
        }
        guard ranAny else {
            throw CheckEnvironmentError(
                "neither nft nor iptables-save is installed: install nftables or iptables, or give \(hints(.iptablesSaveFiles))/\(hints(.nftJSONFiles)) files"
            )
        }
        return set
    }

    /// The save tools to run for one family: the nf_tables one, and the legacy
    /// one only when its nat table exists (asking would create it).
    private func tools(prefix: String, ipv6: Bool) throws -> [(String, String)] {
        var out: [(String, String)] = []
        let plain = Self.which("\(prefix)-save")
        let plainBackend = plain.flatMap { try? run($0, ["--version"], describe: "\(prefix)-save --version") }
        if let nft = Self.which("\(prefix)-nft-save") {
            out.append((nft, "nf_tables"))
        } else if let plain, plainBackend?.contains("nf_tables") == true {
            out.append((plain, "nf_tables"))
        }
        if try NamespaceSysctl.legacyTableExists("nat", ipv6: ipv6, in: namespace) {
            if let legacy = Self.which("\(prefix)-legacy-save") {
                out.append((legacy, "legacy"))
            } else if let plain, plainBackend?.contains("legacy") == true {
                out.append((plain, "legacy"))
            }
        }
        return out
    }

    /// Runs a listing command, inside the namespace when one is set.
    func run(_ executable: String, _ arguments: [String], describe: String) throws -> String {
        var launch = executable
        var args = arguments
        if let namespace {
            guard let nsenter = Self.which("nsenter") else {
                throw CheckEnvironmentError("nsenter (util-linux) is needed to read rules in \(namespace.path)")
            }
            launch = nsenter
            args = ["--net=\(namespace.path)", "--", executable] + arguments
        }
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run(launch, args)
        } catch {
            switch error {
            case .spawn: throw CheckEnvironmentError("\(describe): could not start \(launch): \(error)")
            case .outputTooLarge: throw CheckEnvironmentError("\(describe): \(error)")
            }
        }
        let data = result.stdout
        guard result.status == 0 else {
            let message = String(decoding: result.stderr, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            if message.contains("ermission denied") || message.contains("not permitted") {
                throw ConntrackError.permissionDenied(operation: describe + (namespace.map { " in \($0.path)" } ?? ""))
            }
            if message.contains("No such file") || message.contains("reassociate") {
                throw ConntrackError.namespaceNotFound(namespace?.path ?? "")
            }
            throw CheckEnvironmentError("\(describe) failed (exit \(result.status)): \(message)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The path of `program` on PATH or in the sbin directories root uses.
    static func which(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + program
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func readFile(_ path: String) throws(CheckInputError) -> String {
        // Bounded, and refuses directories and devices (InputFile); pipes work.
        do {
            return String(decoding: try InputFile.read(path), as: UTF8.self)
        } catch {
            throw CheckInputError(origin: path, reason: error.reason)
        }
    }
}
