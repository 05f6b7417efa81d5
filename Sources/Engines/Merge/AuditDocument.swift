import Conntrack
import NodeState
import Policy

/// The parts of a `ctaudit.audit/v1` JSON report that `merge` reads
/// (see JSONReportWriter). Unknown fields are ignored, so reports from newer
/// ctaudit versions that only add fields still merge.
struct AuditDocument: Sendable {
    struct Range: Sendable {
        var low: Int
        var high: Int
    }
    struct Summary: Sendable {
        var flows: Int
        var snat: Int
        var remapped: Int
        var violations: Int
        var violationsUnreplied: Int
        /// Absent in reports older than `summary.node_local`.
        var nodeLocal: Int?
        /// Absent in reports older than these counts (issue 22).
        var outsidePodNetworks: Int?
        var outsidePodNetworksWouldViolate: Int?
        var podsBlocked: Int?
        /// Present only in reports judged by `--firewall` (`summary.uncertain`).
        var uncertain: Int?
    }
    /// One source network of `outside_pod_networks.sources`.
    struct OutsideSource: Sendable {
        var network: String
        var flows: Int
        var wouldViolate: Int
    }
    /// What the report's `dataplanes` object says (absent in older reports).
    struct Dataplanes: Sendable {
        struct Counts: Hashable, Sendable {
            var flows = 0
            var snat = 0
            var remapped = 0
            var violations = 0
        }
        /// Dataplanes read, in the report's order, with the summary's counts for each.
        var read: [(name: String, counts: Counts)]
        /// BPF NAT maps found but not read: `path: why`.
        var unreadMaps: [String]
        var warnings: [String]

        /// Something the node had could not be read: its verdict covers only part of it.
        var isIncomplete: Bool { !unreadMaps.isEmpty || !warnings.isEmpty }
    }
    struct Endpoints: Sendable {
        var src: String
        var sport: Int?
        var dst: String
        var dport: Int?
    }
    struct Flow: Sendable {
        var proto: String
        var original: Endpoints
        var translatedSource: String
        var translatedPort: Int
        var remapped: Bool
        var unreplied: Bool
        /// `namespace/name` when the node named the pod (absent in older reports).
        var podName: String?
    }

    var schema: String
    var host: String
    var netns: String?
    var generatedAt: String
    /// The audit's own verdict word (`AuditVerdict`); absent in older reports.
    var verdict: String?
    var allowed: [Range]
    var summary: Summary
    var violations: [Flow]
    var dataplanes: Dataplanes?
    /// `outside_pod_networks.sources` (absent in older reports).
    var outsideSources: [OutsideSource]?
    /// `dump.interrupted`: the kernel flagged the dump (NLM_F_DUMP_INTR), entries may be missing.
    var dumpInterrupted: Bool?

    var allowedDescription: String {
        allowed.map { $0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)" }.joined(separator: ",")
    }

    /// Reads one file's bytes; errors name the file and the field.
    static func decode(_ bytes: [UInt8], path: String, hints: ReaderHintWording = .plain) throws(InputFileError) -> AuditDocument {
        guard let root = try? JSONDocument(parsing: bytes), case .object = root else {
            throw InputFileError(path: path, reason: "not a JSON object (expected a ctaudit audit report \(hints(.auditJSONReport)))")
        }
        let schema = root["schema"]?.stringValue
        guard schema == AuditReport.jsonSchema else {
            throw InputFileError(
                path: path, reason: "schema is \(schema.map { "'\($0)'" } ?? "missing"), expected '\(AuditReport.jsonSchema)'")
        }
        do {
            return try AuditDocument(Field(value: root, path: ""))
        } catch {
            throw InputFileError(path: path, reason: error.message)
        }
    }

    private init(_ root: Field) throws(Field.Failure) {
        schema = try root["schema"].string()
        host = try root["host"].string()
        netns = try root["netns"].optionalString()
        generatedAt = try root["generated_at"].string()
        verdict = try root.optional("verdict")?.string()
        allowed = try root["policy"]["allowed"].array { range throws(Field.Failure) in
            Range(low: try range["low"].int(), high: try range["high"].int())
        }
        let summary = try root["summary"]
        self.summary = Summary(
            flows: try summary["flows"].int(), snat: try summary["snat"].int(), remapped: try summary["remapped"].int(),
            violations: try summary["violations"].int(), violationsUnreplied: try summary["violations_unreplied"].int(),
            nodeLocal: try summary.optional("node_local")?.int(),
            outsidePodNetworks: try summary.optional("outside_pod_networks")?.int(),
            outsidePodNetworksWouldViolate: try summary.optional("outside_pod_networks_would_violate")?.int(),
            podsBlocked: try summary.optional("pods_blocked")?.int(),
            uncertain: try summary.optional("uncertain")?.int())
        outsideSources = try root.optional("outside_pod_networks")?.optional("sources")?.array { source throws(Field.Failure) in
            OutsideSource(
                network: try source["network"].string(), flows: try source["flows"].int(),
                wouldViolate: try source["would_violate"].int())
        }
        dumpInterrupted = try root.optional("dump")?.optional("interrupted")?.bool()
        dataplanes = try root.optional("dataplanes").map { dataplanes throws(Field.Failure) in
            let counts = dataplanes.optional("counts")
            let read = try dataplanes["read"].array { name throws(Field.Failure) in
                let name = try name.string()
                guard let plane = counts?.optional(name) else { return (name, Dataplanes.Counts()) }
                return (
                    name,
                    Dataplanes.Counts(
                        flows: try plane["flows"].int(), snat: try plane["snat"].int(),
                        remapped: try plane["remapped"].int(), violations: try plane["violations"].int())
                )
            }
            let maps =
                try dataplanes.optional("maps")?.array { map throws(Field.Failure) -> String? in
                    guard try !map["read"].bool() else { return nil }
                    let error = try map.optional("error")?.string()
                    return try map["path"].string() + (error.map { ": \($0)" } ?? "")
                } ?? []
            let warnings = try dataplanes.optional("warnings")?.array { warning throws(Field.Failure) in try warning.string() } ?? []
            return Dataplanes(read: read, unreadMaps: maps.compactMap { $0 }, warnings: warnings)
        }
        violations = try root["violations"].array { flow throws(Field.Failure) in
            let original = try flow["original"]
            let pod = flow.optional("pod")
            let name = try pod?.optional("name")?.optionalString()
            let namespace = try pod?.optional("namespace")?.optionalString()
            return Flow(
                proto: try flow["proto"].string(),
                original: Endpoints(
                    src: try original["src"].string(), sport: try original["sport"].optionalInt(),
                    dst: try original["dst"].string(), dport: try original["dport"].optionalInt()),
                translatedSource: try flow["translated"]["src"].string(),
                translatedPort: try flow["translated"]["sport"].int(),
                remapped: try flow["remapped"].bool(), unreplied: try flow["unreplied"].bool(),
                podName: name.map { name in namespace.map { "\($0)/\(name)" } ?? name })
        }
    }

    /// A value in the document and where it is (`violations[3].original.src`),
    /// for errors that name the field.
    private struct Field {
        struct Failure: Error { var message: String }

        var value: JSONDocument?
        var path: String

        subscript(key: String) -> Field {
            get throws(Failure) {
                guard let value else { throw Failure(message: "missing field '\(path)'") }
                guard case .object(let members) = value else { throw wrongType }
                return Field(value: members[key], path: path.isEmpty ? key : "\(path).\(key)")
            }
        }

        /// The member when present and not null.
        func optional(_ key: String) -> Field? {
            guard case .object(let members) = value, let member = members[key], member != .null else { return nil }
            return Field(value: member, path: path.isEmpty ? key : "\(path).\(key)")
        }

        private var wrongType: Failure { Failure(message: "field '\(path)' has the wrong type") }
        private var missing: Failure { Failure(message: "missing field '\(path)'") }

        func string() throws(Failure) -> String {
            guard let value else { throw missing }
            guard let text = value.stringValue else { throw wrongType }
            return text
        }

        func optionalString() throws(Failure) -> String? {
            guard let value, value != .null else { return nil }
            return try string()
        }

        func int() throws(Failure) -> Int {
            guard let value else { throw missing }
            guard let number = value.intValue else { throw wrongType }
            return number
        }

        func optionalInt() throws(Failure) -> Int? {
            guard let value, value != .null else { return nil }
            return try int()
        }

        func bool() throws(Failure) -> Bool {
            guard let value else { throw missing }
            guard case .bool(let flag) = value else { throw wrongType }
            return flag
        }

        func array<Item>(_ item: (Field) throws(Failure) -> Item) throws(Failure) -> [Item] {
            guard let value else { throw missing }
            guard case .array(let items) = value else { throw wrongType }
            var result: [Item] = []
            result.reserveCapacity(items.count)
            for (index, element) in items.enumerated() {
                result.append(try item(Field(value: element, path: "\(path)[\(index)]")))
            }
            return result
        }
    }
}
