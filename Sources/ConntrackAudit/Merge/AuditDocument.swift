import Foundation

/// The parts of a `ctaudit.audit/v1` JSON report that `merge` reads
/// (see JSONReportWriter). Unknown fields are ignored, so reports from newer
/// ctaudit versions that only add fields still merge.
struct AuditDocument: Decodable, Sendable {
    struct Range: Decodable, Sendable { var low: Int; var high: Int }
    struct Policy: Decodable, Sendable { var allowed: [Range] }
    struct Summary: Decodable, Sendable {
        var flows: Int
        var snat: Int
        var remapped: Int
        var violations: Int
        var violationsUnreplied: Int
        var violationsKeptPort: Int?
    }
    struct Endpoints: Decodable, Sendable { var src: String; var sport: Int?; var dst: String; var dport: Int? }
    struct Translated: Decodable, Sendable { var src: String; var sport: Int }
    /// The part of a violation's `pod` object merge shows (absent in older reports).
    struct Pod: Decodable, Sendable { var name: String?; var namespace: String? }
    struct Flow: Decodable, Sendable {
        var proto: String
        var original: Endpoints
        var translated: Translated
        var remapped: Bool
        var unreplied: Bool
        var pod: Pod?

        /// `namespace/name` when the node named the pod.
        var podName: String? {
            guard let name = pod?.name else { return nil }
            return pod?.namespace.map { "\($0)/\(name)" } ?? name
        }
    }

    var schema: String
    var host: String
    var netns: String?
    var generatedAt: String
    var policy: Policy
    var summary: Summary
    var violations: [Flow]

    var allowedDescription: String {
        policy.allowed.map { $0.low == $0.high ? "\($0.low)" : "\($0.low)-\($0.high)" }.joined(separator: ",")
    }

    /// Decodes one file's bytes; errors name the file and the field.
    static func decode(_ data: Data, path: String) throws(ReportMergeError) -> AuditDocument {
        struct SchemaOnly: Decodable { var schema: String? }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let probe = try? decoder.decode(SchemaOnly.self, from: data) else {
            throw ReportMergeError(path: path, message: "not a JSON object (expected a ctaudit audit report from 'ctaudit audit --format json')")
        }
        guard probe.schema == JSONReportWriter.schema else {
            throw ReportMergeError(path: path, message: "schema is \(probe.schema.map { "'\($0)'" } ?? "missing"), expected '\(JSONReportWriter.schema)'")
        }
        do {
            return try decoder.decode(AuditDocument.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw ReportMergeError(path: path, message: "missing field '\(fieldPath(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw ReportMergeError(path: path, message: "field '\(fieldPath(context.codingPath))' has the wrong type")
        } catch {
            throw ReportMergeError(path: path, message: "cannot decode: \(error)")
        }
    }

    private static func fieldPath(_ path: [any CodingKey]) -> String {
        path.map { key in key.intValue.map { "[\($0)]" } ?? snake(key.stringValue) }
            .joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    private static func snake(_ camel: String) -> String {
        var out = ""
        for character in camel {
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
        return out
    }
}

/// A report file `merge` cannot use: exit 2, naming the file.
public struct ReportMergeError: Error, Hashable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
