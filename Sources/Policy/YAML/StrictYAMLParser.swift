/// Line-oriented recursive descent over the subset `StrictYAML` describes.
/// Lines are first reduced to (indentation, content without comment); block
/// scalars go back to the raw lines, where a `#` is text.
struct StrictYAMLParser {
    struct Line {
        var number: Int
        var indent: Int
        /// The content after the indentation, comment removed, trailing spaces trimmed.
        var text: Substring
    }

    /// The text of every line, without line ends.
    private let raw: [Substring]
    /// The content lines of the document being parsed.
    private var lines: [Line] = []
    private var position = 0

    init(_ text: String) {
        raw = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    mutating func documents() throws(StrictYAML.SyntaxError) -> [StrictYAML.Node] {
        var roots: [StrictYAML.Node] = []
        var current: [Line] = []
        var explicitStart = false
        func finish(_ parser: inout StrictYAMLParser, _ lines: [Line]) throws(StrictYAML.SyntaxError) {
            guard !lines.isEmpty else { return }
            parser.lines = lines
            parser.position = 0
            roots.append(try parser.root())
        }
        var number = 0
        while number < raw.count {
            let rawLine = raw[number]
            number += 1
            let indentation = rawLine.prefix { $0 == " " || $0 == "\t" }
            let content = Self.stripComment(rawLine.dropFirst(indentation.count))
            if content.isEmpty { continue }
            if indentation.contains("\t") { throw Self.fail(number, "a tab in the indentation (YAML indents with spaces)") }
            if indentation.isEmpty && content.hasPrefix("%") { throw Self.fail(number, "YAML directives (%) are not supported") }
            if indentation.isEmpty && (content == "---" || content.hasPrefix("--- ")) {
                if !current.isEmpty || explicitStart { try finish(&self, current) }
                current = []
                explicitStart = true
                let rest = content.dropFirst(3).drop { $0 == " " }
                if !rest.isEmpty { current.append(Line(number: number, indent: 4, text: rest)) }
                continue
            }
            if indentation.isEmpty && content == "..." {
                try finish(&self, current)
                current = []
                explicitStart = false
                continue
            }
            current.append(Line(number: number, indent: indentation.count, text: content))
            // A block scalar's lines are text, not YAML: keep them out of the line list.
            if let parent = Self.blockScalarParent(content, indent: indentation.count) {
                while number < raw.count {
                    let next = raw[number]
                    let blank = next.allSatisfy { $0 == " " || $0 == "\t" }
                    guard blank || next.prefix(while: { $0 == " " }).count > parent else { break }
                    number += 1
                }
            }
        }
        try finish(&self, current)
        return roots
    }

    /// When the line ends in a block scalar header (`key: |`, `- >-`), the
    /// column its text must be indented past: the key's, or the dash's.
    static func blockScalarParent(_ content: Substring, indent: Int) -> Int? {
        var text = content
        var column = indent
        var dashColumn: Int?
        while isSequenceItem(text) {
            dashColumn = column
            let rest = text.dropFirst(1).drop { $0 == " " }
            column += text.count - rest.count
            text = rest
        }
        if blockScalarHeader(text) != nil { return dashColumn ?? column - 1 }
        guard let (_, rest) = try? mappingKey(Line(number: 0, indent: column, text: text)),
            blockScalarHeader(rest) != nil
        else { return nil }
        return column
    }

    private mutating func root() throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        let node = try block(indent: lines[0].indent)
        if position < lines.count {
            throw Self.fail(lines[position].number, "unexpected indentation (the line is not inside the mapping or list above it)")
        }
        return node
    }

    // MARK: Blocks

    /// A block node whose lines start at exactly `indent`.
    private mutating func block(indent: Int) throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        let line = lines[position]
        if Self.isSequenceItem(line.text) { return try sequence(indent: indent) }
        if try Self.mappingKey(line) != nil { return try mapping(indent: indent) }
        // A lone scalar or flow collection, possibly spanning lines.
        position += 1
        return try inlineValue(line.text, line: line.number, parentIndent: indent - 1)
    }

    private mutating func sequence(indent: Int) throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        let first = lines[position].number
        var items: [StrictYAML.Node] = []
        while position < lines.count, lines[position].indent == indent, Self.isSequenceItem(lines[position].text) {
            let line = lines[position]
            let rest = line.text.dropFirst(1).drop { $0 == " " }
            if line.text.dropFirst().first == "\t" { throw Self.fail(line.number, "a tab after '-' (YAML indents with spaces)") }
            // A tab after '- ' would be indentation of the item's content: refused like one.
            if rest.first == "\t" { throw Self.fail(line.number, "a tab after '- ' (YAML indents with spaces)") }
            if rest.isEmpty {
                position += 1
                if position < lines.count, lines[position].indent > indent {
                    items.append(try block(indent: lines[position].indent))
                } else {
                    items.append(.init(value: .scalar("", plain: true), line: line.number))
                }
                continue
            }
            // `- key: value` opens a mapping indented where its key starts;
            // `- - x` a nested list; anything else is the item itself.
            let column = indent + (line.text.count - rest.count)
            lines[position] = Line(number: line.number, indent: column, text: rest)
            if Self.blockScalarHeader(rest) != nil {
                position += 1
                items.append(try blockScalar(rest, line: line.number, parentIndent: indent))
            } else {
                items.append(try block(indent: column))
            }
        }
        return .init(value: .sequence(items), line: first)
    }

    private mutating func mapping(indent: Int) throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        let first = lines[position].number
        var entries: [StrictYAML.Entry] = []
        while position < lines.count, lines[position].indent == indent {
            let line = lines[position]
            guard let (key, rest) = try Self.mappingKey(line) else {
                throw Self.fail(
                    line.number,
                    Self.isSequenceItem(line.text)
                        ? "a list item where a 'key: value' was expected" : "expected 'key: value'")
            }
            if entries.contains(where: { $0.key.scalar == key.scalar }) {
                throw Self.fail(line.number, "'\(key.scalar ?? "")' is set twice")
            }
            position += 1
            let value: StrictYAML.Node
            if !rest.isEmpty {
                value = try inlineValue(rest, line: line.number, parentIndent: indent)
            } else if position < lines.count, lines[position].indent > indent {
                value = try block(indent: lines[position].indent)
            } else if position < lines.count, lines[position].indent == indent, Self.isSequenceItem(lines[position].text) {
                // An indentless list (`key:` then `- item` at the key's column), as Go's YAML writes it.
                value = try sequence(indent: indent)
            } else {
                value = .init(value: .scalar("", plain: true), line: line.number)
            }
            entries.append(.init(key: key, value: value))
        }
        if position < lines.count, lines[position].indent > indent {
            throw Self.fail(lines[position].number, "unexpected indentation (the line is not inside the mapping or list above it)")
        }
        return .init(value: .mapping(entries), line: first)
    }

    // MARK: Values on a line

    /// A value that starts on this line after `key:` or `- `: a block
    /// scalar, a flow collection (which may go on over the following lines),
    /// or a scalar (a plain one may go on over more indented lines).
    private mutating func inlineValue(
        _ text: Substring, line: Int, parentIndent: Int
    ) throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        if Self.blockScalarHeader(text) != nil { return try blockScalar(text, line: line, parentIndent: parentIndent) }
        try Self.refuseUnsupported(text, line: line)
        if text.first == "[" || text.first == "{" { return try flow(text, line: line, parentIndent: parentIndent) }
        if text.first == "\"" || text.first == "'" {
            // A quoted scalar may go on over the following lines (folded to spaces).
            var joined = String(text)
            while !Self.quoteIsClosed(joined), position < lines.count, lines[position].indent > parentIndent {
                joined += "\n" + raw[lines[position].number - 1].drop { $0 == " " }
                position += 1
            }
            return try Self.scalar(Substring(joined), line: line)
        }
        var node = try Self.scalar(text, line: line)
        // A plain scalar continued on more indented lines (folded to spaces).
        while position < lines.count, lines[position].indent > parentIndent, !Self.isSequenceItem(lines[position].text),
            try Self.mappingKey(lines[position]) == nil
        {
            node.value = .scalar((node.scalar ?? "") + " " + lines[position].text, plain: true)
            position += 1
        }
        return node
    }

    private mutating func flow(_ text: Substring, line: Int, parentIndent: Int) throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        var source = String(text)
        var offsets: [(offset: Int, line: Int)] = [(0, line)]
        while !FlowScanner(source, lines: offsets).isBalanced {
            guard position < lines.count else { throw Self.fail(line, "'\(text.first!)' is never closed") }
            let next = lines[position]
            guard next.indent > parentIndent else {
                throw Self.fail(next.number, "a flow collection's next line must be indented more than its key")
            }
            position += 1
            offsets.append((source.utf8.count + 1, next.number))
            source += "\n" + next.text
        }
        var scanner = FlowScanner(source, lines: offsets)
        let node = try scanner.value()
        scanner.skipSpaces()
        if !scanner.atEnd { throw Self.fail(scanner.currentLine, "text after the closing '\(text.first == "[" ? "]" : "}")'") }
        return node
    }

    /// `|` / `>` with optional chomping (`-`, `+`) and indentation (1-9) indicators.
    static func blockScalarHeader(_ text: Substring) -> (folded: Bool, chomp: Character?, indent: Int?)? {
        guard let first = text.first, first == "|" || first == ">" else { return nil }
        var chomp: Character?
        var indent: Int?
        for character in text.dropFirst() {
            if character == "-" || character == "+", chomp == nil {
                chomp = character
            } else if let digit = character.wholeNumberValue,
                digit > 0, indent == nil
            {
                indent = digit
            } else {
                return nil
            }
        }
        return (first == ">", chomp, indent)
    }

    /// The block scalar whose header ends the line `line`; its text is the
    /// raw lines after it that are blank or more indented than `parentIndent`.
    private mutating func blockScalar(
        _ header: Substring, line: Int, parentIndent: Int
    ) throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        guard let (folded, chomp, explicitIndent) = Self.blockScalarHeader(header) else {
            throw Self.fail(line, "a bad block scalar header '\(header)'")
        }
        var body: [Substring] = []
        var number = line  // raw index of the next line
        while number < raw.count {
            let text = raw[number]
            let blank = text.allSatisfy { $0 == " " || $0 == "\t" }
            if !blank && text.prefix(while: { $0 == " " }).count <= parentIndent { break }
            body.append(text)
            number += 1
        }
        // Skip the content lines that came from the block (none: they were kept out).
        while position < lines.count, lines[position].number <= number { position += 1 }
        let contentIndent =
            explicitIndent.map { parentIndent + $0 }
            ?? body.first { !$0.allSatisfy { $0 == " " } }.map { $0.prefix { $0 == " " }.count } ?? 0
        var textLines: [String] = []
        for (offset, text) in body.enumerated() {
            if text.allSatisfy({ $0 == " " || $0 == "\t" }) {
                textLines.append(String(text.dropFirst(min(contentIndent, text.count))))
                continue
            }
            guard text.prefix(while: { $0 == " " }).count >= contentIndent else {
                throw Self.fail(line + 1 + offset, "a block scalar line less indented than its first line")
            }
            textLines.append(String(text.dropFirst(contentIndent)))
        }
        // Trailing blank lines belong to the chomping, not the text.
        var trailing = 0
        while let last = textLines.last, last.allSatisfy({ $0 == " " }) {
            textLines.removeLast()
            trailing += 1
        }
        var result = ""
        if folded {
            // Line breaks between text lines fold to spaces; an empty line is a
            // newline; breaks next to more-indented lines are kept.
            var pendingBreaks = 0
            var last: String?
            for text in textLines {
                if text.isEmpty {
                    pendingBreaks += 1
                    continue
                }
                let spaced = text.first == " " || text.first == "\t" || last?.first == " " || last?.first == "\t"
                if last != nil {
                    result += pendingBreaks == 0 ? (spaced ? "\n" : " ") : String(repeating: "\n", count: pendingBreaks + (spaced ? 1 : 0))
                } else {
                    result += String(repeating: "\n", count: pendingBreaks)
                }
                result += text
                last = text
                pendingBreaks = 0
            }
        } else {
            result = textLines.joined(separator: "\n")
        }
        if !textLines.isEmpty {
            switch chomp {
            case "-": break
            case "+": result += "\n" + String(repeating: "\n", count: trailing)
            default: result += "\n"
            }
        } else if chomp == "+" {
            result = String(repeating: "\n", count: trailing)
        }
        return .init(value: .scalar(result, plain: false), line: line)
    }

    static func scalar(_ text: Substring, line: Int) throws(StrictYAML.SyntaxError) -> StrictYAML.Node {
        try refuseUnsupported(text, line: line)
        if text.first == "\"" || text.first == "'" {
            var scanner = FlowScanner(String(text), lines: [(0, line)])
            let node = try scanner.quoted()
            scanner.skipSpaces()
            if !scanner.atEnd { throw fail(line, "text after a closing quote") }
            return node
        }
        if text.contains(": ") || text.hasSuffix(":") { throw fail(line, "a 'key: value' where a single value was expected") }
        if isSequenceItem(text) { throw fail(line, "a list item where a single value was expected") }
        return .init(value: .scalar(String(text), plain: true), line: line)
    }

    static func quoteIsClosed(_ text: String) -> Bool {
        var scanner = FlowScanner(text, lines: [(0, 0)])
        return (try? scanner.quoted()) != nil
    }

    static func refuseUnsupported(_ text: Substring, line: Int) throws(StrictYAML.SyntaxError) {
        switch text.first {
        case "&": throw fail(line, "YAML anchors (&) are not supported")
        case "*": throw fail(line, "YAML aliases (*) are not supported")
        case "!": throw fail(line, "YAML tags (!) are not supported")
        case "?": throw fail(line, "YAML complex keys (?) are not supported")
        case "@", "`": throw fail(line, "a plain value cannot start with '\(text.first!)'; quote it")
        case "|", ">": throw fail(line, "a block scalar (\(text.first!)) is only allowed after 'key:' or '- '")
        case "#": throw fail(line, "a plain value cannot start with '#'; quote it")
        case "]", "}", ",": throw fail(line, "unexpected '\(text.first!)' (a plain value cannot start with it; quote it)")
        default: break
        }
    }

    // MARK: Lines

    static func isSequenceItem(_ text: Substring) -> Bool { text == "-" || text.hasPrefix("- ") || text.hasPrefix("-\t") }

    /// `key: rest` (rest may be empty) when the line is a mapping entry.
    static func mappingKey(_ line: Line) throws(StrictYAML.SyntaxError) -> (StrictYAML.Node, Substring)? {
        let text = line.text
        if text.first == "[" || text.first == "{" || isSequenceItem(text) { return nil }
        if text.first == "\"" || text.first == "'" {
            var scanner = FlowScanner(String(text), lines: [(0, line.number)])
            guard let key = try? scanner.quoted() else { return nil }
            scanner.skipSpaces()
            guard scanner.consume(":") else { return nil }
            // In a block mapping the ':' after a quoted key is followed by a space or the line's end.
            guard scanner.atEnd || scanner.remainder.hasPrefix(" ") else {
                throw fail(line.number, "a space is needed after ':' of a quoted key")
            }
            let rest = scanner.remainder.drop { $0 == " " || $0 == "\t" }
            return (key, Substring(rest))
        }
        if text.first == "|" || text.first == ">" { return nil }
        try refuseUnsupported(text, line: line.number)
        // The first ": " (or a ':' ending the line) separates a plain key from its value.
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == ":" {
                let after = text.index(after: index)
                if after == text.endIndex || text[after] == " " || text[after] == "\t" {
                    let key = text[..<index].trimmingTrailingSpaces
                    guard !key.isEmpty else { throw fail(line.number, "a mapping entry without a key") }
                    return (
                        .init(value: .scalar(String(key), plain: true), line: line.number), text[after...].drop { $0 == " " || $0 == "\t" }
                    )
                }
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// The line without its comment (`#` at the start or after a space,
    /// outside quotes) and trailing spaces.
    static func stripComment(_ text: Substring) -> Substring {
        var quote: Character?
        var previous: Character = " "
        var depth = 0
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if let open = quote {
                if character == open {
                    // '' inside single quotes is an escaped quote.
                    let next = text.index(after: index)
                    if open == "'" && next < text.endIndex && text[next] == "'" {
                        index = text.index(after: next)
                        continue
                    }
                    quote = nil
                } else if open == "\"" && character == "\\" {
                    index = text.index(after: index)
                    if index < text.endIndex { index = text.index(after: index) }
                    continue
                }
            } else if character == "#" && (previous == " " || previous == "\t") {
                return text[..<index].trimmingTrailingSpaces
            } else if (character == "\"" || character == "'")
                && (" \t".contains(previous) || depth > 0 && "[{,:".contains(previous))
            {
                // A quote opens a quoted scalar only where one can start: `it's` and `-"x` are plain.
                quote = character
            } else if (character == "[" || character == "{") && (" \t[{,:".contains(previous) || depth > 0) {
                depth += 1
            } else if (character == "]" || character == "}") && depth > 0 {
                depth -= 1
            }
            previous = character
            index = text.index(after: index)
        }
        return text.trimmingTrailingSpaces
    }

    static func fail(_ line: Int, _ message: String) -> StrictYAML.SyntaxError {
        StrictYAML.SyntaxError(line: line, message: message)
    }
}

extension Substring {
    var trimmingTrailingSpaces: Substring {
        var result = self
        while result.last == " " || result.last == "\t" { result = result.dropLast() }
        return result
    }
}
