/// Reads YAML flow collections (`[a, b]`, `{k: v}`) and quoted scalars from
/// one string, which may have been joined from several lines: `lines` maps
/// UTF-8 offsets back to line numbers for errors.
struct FlowScanner {
    private let bytes: [UInt8]
    private let lines: [(offset: Int, line: Int)]
    private var index = 0
    /// Whether the last plain scalar read spanned lines (a key may not).
    private var isMultiline = false

    init(_ text: String, lines: [(offset: Int, line: Int)]) {
        bytes = Array(text.utf8)
        self.lines = lines
    }

    var atEnd: Bool { index >= bytes.count }
    var currentLine: Int { lines.last { $0.offset <= index }?.line ?? lines[0].line }
    var remainder: String { String(decoding: bytes[min(index, bytes.count)...], as: UTF8.self) }

    /// Whether every `[`/`{` outside quotes is closed (more lines are needed when not).
    var isBalanced: Bool {
        var depth = 0
        var quote: UInt8?
        var position = 0
        while position < bytes.count {
            let byte = bytes[position]
            if let open = quote {
                if open == UInt8(ascii: "\"") && byte == UInt8(ascii: "\\") {
                    position += 2
                    continue
                }
                if byte == open { quote = nil }
            } else if (byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'"))
                && (position == 0 || " \t[{,:".utf8.contains(bytes[position - 1]))
            {
                // A quote opens a quoted scalar only where one can start (`it's` is plain).
                quote = byte
            } else if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                depth += 1
            } else if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { return true }
            }
            position += 1
        }
        return depth <= 0 && quote == nil
    }

    mutating func skipSpaces() {
        while index < bytes.count
            && (bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t")
                || bytes[index] == 0x0A)
        { index += 1 }
    }

    mutating func consume(_ character: Character) -> Bool {
        guard index < bytes.count, bytes[index] == character.asciiValue else { return false }
        index += 1
        return true
    }

    private func fail(_ message: String) -> StrictYAML.SyntaxError {
        StrictYAML.SyntaxError(line: currentLine, message: message)
    }

    /// A flow collection, a quoted scalar, or a plain scalar ending at `,`, `]`, `}` (or `:` for keys).
    mutating func value(inFlow: Bool = false) throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        skipSpaces()
        guard index < bytes.count else { throw fail("a value is missing") }
        let line = currentLine
        switch bytes[index] {
        case UInt8(ascii: "["):
            index += 1
            var items: [StrictYAML.Node] = []
            skipSpaces()
            if consume("]") { return .init(value: .sequence([]), line: line) }
            while true {
                items.append(try value(inFlow: true))
                skipSpaces()
                if consume("]") { return .init(value: .sequence(items), line: line) }
                guard consume(",") else { throw fail("expected ',' or ']' in a flow list") }
                skipSpaces()
                if consume("]") { return .init(value: .sequence(items), line: line) }  // a trailing comma
            }
        case UInt8(ascii: "{"):
            index += 1
            var entries: [StrictYAML.Entry] = []
            skipSpaces()
            if consume("}") { return .init(value: .mapping([]), line: line) }
            while true {
                let key = try value(inFlow: true)
                if isMultiline { throw fail("a key cannot go on over two lines") }
                guard let keyText = key.scalar else { throw fail("a flow mapping's key must be a single value") }
                if keyText.isEmpty, case .scalar(_, true) = key.value { throw fail("a flow mapping entry without a key") }
                skipSpaces()
                let entry: StrictYAML.Entry
                if consume(":") {
                    skipSpaces()
                    let empty = index < bytes.count && (bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: "}"))
                    entry = .init(
                        key: key, value: empty ? .init(value: .scalar("", plain: true), line: currentLine) : try value(inFlow: true))
                } else {
                    entry = .init(key: key, value: .init(value: .scalar("", plain: true), line: currentLine))
                }
                if entries.contains(where: { $0.key.scalar == key.scalar }) { throw fail("'\(key.scalar ?? "")' is set twice") }
                entries.append(entry)
                skipSpaces()
                if consume("}") { return .init(value: .mapping(entries), line: line) }
                guard consume(",") else { throw fail("expected ',' or '}' in a flow mapping") }
                skipSpaces()
                if consume("}") { return .init(value: .mapping(entries), line: line) }
            }
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return try quoted()
        case UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ","):
            throw fail("a value is missing before '\(Character(UnicodeScalar(bytes[index])))'")
        default:
            let start = index
            try StrictYAMLParser.refuseUnsupported(Substring(remainder), line: line)
            if StrictYAMLParser.isSequenceItem(Substring(remainder)) { throw fail("a '- ' list item inside a flow collection") }
            while index < bytes.count {
                let byte = bytes[index]
                if inFlow && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")) { break }
                if inFlow && byte == UInt8(ascii: ":")
                    && (index + 1 == bytes.count
                        || [
                            UInt8(ascii: " "), UInt8(ascii: ","),
                            UInt8(ascii: "}"), UInt8(ascii: "]"),
                        ].contains(bytes[index + 1]))
                {
                    break
                }
                if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                    throw fail("'\(Character(UnicodeScalar(byte)))' inside a plain value; quote it")
                }
                index += 1
            }
            var text = String(decoding: bytes[start..<index], as: UTF8.self)
            while text.last == " " || text.last == "\t" || text.last == "\n" { text.removeLast() }
            // A plain value over several lines folds each line break (and the
            // spaces around it) into one space.
            if text.contains("\n") {
                text = text.split(separator: "\n").map { String($0.drop { $0 == " " || $0 == "\t" }.trimmingTrailingSpaces) }.joined(
                    separator: " ")
                isMultiline = true
            } else {
                isMultiline = false
            }
            return .init(value: .scalar(text, plain: true), line: line)
        }
    }

    /// A single- or double-quoted scalar at the current position.
    mutating func quoted() throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        let line = currentLine
        let open = bytes[index]
        index += 1
        var text: [UInt8] = []
        while true {
            guard index < bytes.count else { throw fail("a quoted value is never closed") }
            let byte = bytes[index]
            index += 1
            if byte == open {
                if open == UInt8(ascii: "'") && index < bytes.count && bytes[index] == open {
                    text.append(open)
                    index += 1
                    continue
                }
                return .init(value: .scalar(String(decoding: text, as: UTF8.self), plain: false), line: line)
            }
            if byte == 0x0A {
                // A line break inside quotes folds, with the spaces around it, into one space.
                while text.last == 0x20 || text.last == 0x09 { text.removeLast() }
                while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x09) { index += 1 }
                text.append(0x20)
                continue
            }
            guard open == UInt8(ascii: "\""), byte == UInt8(ascii: "\\") else {
                text.append(byte)
                continue
            }
            guard index < bytes.count else { throw fail("a quoted value is never closed") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escape)
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "0"): text.append(0x00)
            case 0x0A:
                // An escaped line break joins the lines with nothing between them.
                while index < bytes.count && (bytes[index] == 0x20 || bytes[index] == 0x09) { index += 1 }
            case UInt8(ascii: " "): text.append(0x20)
            case UInt8(ascii: "u"), UInt8(ascii: "x"), UInt8(ascii: "U"):
                let digits = escape == UInt8(ascii: "x") ? 2 : escape == UInt8(ascii: "u") ? 4 : 8
                guard index + digits <= bytes.count,
                    let value = UInt32(String(decoding: bytes[index..<index + digits], as: UTF8.self), radix: 16),
                    let scalar = UnicodeScalar(value)
                else { throw fail("a bad \\\(Character(UnicodeScalar(escape))) escape") }
                index += digits
                text += Array(String(Character(scalar)).utf8)
            default:
                throw fail("unknown escape '\\\(Character(UnicodeScalar(escape)))' in a double-quoted value")
            }
        }
    }
}
