/// A JSON value whose objects keep their keys in the order written, so
/// reports read in schema order and golden files stay stable.
public indirect enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    /// A finite fraction or measurement, written with up to 6 decimals.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.serialized() == rhs.serialized() }
    public func hash(into hasher: inout Hasher) { hasher.combine(serialized()) }

    /// Compact when `indent` is nil (one line, for NDJSON); else pretty.
    public func serialized(indent: Int? = nil) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    /// Appends this value at nesting `level` (pretty printing indents by `indent`).
    func write(into out: inout String, indent: Int?, level: Int) {
        let newline = indent == nil ? "" : "\n"
        let pad = { (depth: Int) in JSONValue.padding(indent, depth) }
        let colon = indent == nil ? ":" : ": "
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .int(let value): out += String(value)
        case .number(let value):
            // JSON has no NaN/Infinity; six decimals keep golden files stable.
            let scaled = (value.isFinite ? value : 0) * 1_000_000
            let micro = Int(scaled.rounded())
            let sign = micro < 0 ? "-" : ""
            let whole = abs(micro) / 1_000_000, fraction = abs(micro) % 1_000_000
            var digits = String(fraction)
            digits = String(repeating: "0", count: 6 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            out += sign + String(whole) + (digits.isEmpty ? "" : "." + digits)
        case .string(let value): JSONValue.escape(value, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            out += newline
            let inner = pad(level + 1)
            for (index, item) in items.enumerated() {
                out += inner
                item.write(into: &out, indent: indent, level: level + 1)
                if index < items.count - 1 { out += "," }
                out += newline
            }
            out += pad(level)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            out += newline
            let inner = pad(level + 1)
            for (index, (key, value)) in members.enumerated() {
                out += inner
                JSONValue.escape(key, into: &out)
                out += colon
                value.write(into: &out, indent: indent, level: level + 1)
                if index < members.count - 1 { out += "," }
                out += newline
            }
            out += pad(level)
            out += "}"
        }
    }

    /// Leading spaces for one line; the common depths are computed once.
    static func padding(_ indent: Int?, _ depth: Int) -> String {
        guard let indent, indent > 0, depth > 0 else { return "" }
        if indent == 2 && depth < twoSpacePads.count { return twoSpacePads[depth] }
        return String(repeating: " ", count: indent * depth)
    }

    private static let twoSpacePads = (0..<8).map { String(repeating: " ", count: 2 * $0) }

    static func escape(_ text: String, into out: inout String) {
        out += "\""
        // Fast path (watch writes thousands of lines a second): most strings
        // are addresses and names with nothing to escape.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += text
            out += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
