/// The YAML ctaudit reads — its config file, and the Kubernetes manifests
/// and exports it finds on a node (Calico IPPools, cilium-config,
/// FelixConfiguration) — parsed into trees that keep every node's line.
///
/// A strict subset of YAML 1.2: block and flow mappings and sequences,
/// plain, single- and double-quoted scalars, literal and folded block
/// scalars (`|`, `>`, with chomping and indentation indicators), comments,
/// several documents (`---`). Anchors, aliases, tags, complex keys and
/// directives are refused with a message saying so: an unsupported construct
/// must never be read as something else. JSON is flow YAML and reads too.
///
/// Not Yams: Yams needs all of Foundation, whose ICU data alone would make
/// the static binary 34 MB larger. The tests check this parser against Yams
/// on every file they use and on thousands of generated documents.
public enum StrictYAML {
    public indirect enum Value: Hashable, Sendable {
        /// A scalar's text; `plain` when it was not quoted (only a plain
        /// `null`, `~` or empty scalar is null).
        case scalar(String, plain: Bool)
        case sequence([Node])
        case mapping([Entry])
    }

    public struct Node: Hashable, Sendable {
        public var value: Value
        /// 1-based line where the node starts.
        public var line: Int

        public init(value: Value, line: Int) {
            self.value = value
            self.line = line
        }

        public var scalar: String? { if case .scalar(let text, _) = value { text } else { nil } }
        public var sequence: [Node]? { if case .sequence(let items) = value { items } else { nil } }
        public var mapping: [Entry]? { if case .mapping(let entries) = value { entries } else { nil } }

        /// `key:` with nothing, `~`, `null`: no value.
        public var isNull: Bool {
            guard case let .scalar(text, plain) = value, plain else { return false }
            return ["", "~", "null", "Null", "NULL"].contains(text)
        }

        /// The scalar's text unless it is null.
        public var string: String? { isNull ? nil : scalar }

        /// A plain `true`/`false` (any case YAML 1.2 allows).
        public var bool: Bool? {
            guard case let .scalar(text, plain) = value, plain else { return nil }
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: return nil
            }
        }

        /// A plain decimal integer.
        public var int: Int? {
            guard case let .scalar(text, plain) = value, plain else { return nil }
            return Int(text.hasPrefix("+") ? String(text.dropFirst()) : text)
        }

        /// The value of `key` in a mapping.
        public subscript(key: String) -> Node? {
            mapping?.first { $0.key.scalar == key }?.value
        }
    }

    public struct Entry: Hashable, Sendable {
        public var key: Node
        public var value: Node
    }

    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The only document's root; nil for a file with no content (comments
    /// only). A second document is an error.
    public static func parse(_ text: String) throws(SyntaxError) -> Node? {
        let documents = try parseDocuments(text)
        if documents.count > 1 { throw SyntaxError(line: documents[1].line, message: "more than one YAML document; this file is one") }
        return documents.first
    }

    /// Every document's root, in order (empty documents left out).
    public static func parseDocuments(_ text: String) throws(SyntaxError) -> [Node] {
        var parser = StrictYAMLParser(text)
        return try parser.documents()
    }
}
