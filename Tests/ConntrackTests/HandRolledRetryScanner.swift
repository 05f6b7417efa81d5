/// Finds hand-rolled syscall retries in Swift source, on tokens rather than
/// text: comments (line, block, nested) and string literals (single-line,
/// multi-line, raw) are dropped first, so neither hides nor fakes a finding.
///
/// A finding is any of:
/// - the interrupt errno, however spelled: `EINTR`, `Errno.interrupted`, an
///   implicit `.interrupted` (`case .interrupted`, `== .interrupted`, but not
///   `report.dump.interrupted`, a value's property), `Errno(rawValue: 4)`;
/// - a raw sleep (`sleep(`, `usleep(`, `nanosleep(`): an interrupted sleep
///   needs the retry `SystemCall.sleep` has;
/// - a loop (`while`, `repeat`, `for`) that reads the C `errno` (`Glibc.errno`,
///   or a bare `errno` in a file that binds no local of that name) in its
///   condition, or in a body that can `continue`: it goes round again after
///   a failed call, whatever errno it compares with. (A loop that reads errno
///   only to throw is not a retry.)
struct HandRolledRetryScanner {
    struct Token: Equatable {
        var text: String
        var line: Int
    }

    let tokens: [Token]

    init(_ source: String) {
        tokens = Self.tokenize(source)
    }

    func findings() -> [String] {
        var found: [(Int, String)] = []
        for (index, token) in tokens.enumerated() {
            let previous = index > 0 ? tokens[index - 1].text : ""
            let beforePrevious = index > 1 ? tokens[index - 2].text : ""
            let next = index + 1 < tokens.count ? tokens[index + 1].text : ""
            switch token.text {
            case "EINTR":
                found.append((token.line, "EINTR"))
            case "interrupted" where previous == ".":
                // `.interrupted` alone (implicit member) or on Errno is the errno; on a value it is a property.
                if beforePrevious == "Errno" || !Self.endsAnExpression(beforePrevious) {
                    found.append((token.line, ".interrupted"))
                }
            case "rawValue" where previous == "(" && beforePrevious == "Errno":
                if index + 2 < tokens.count, tokens[index + 1].text == ":", tokens[index + 2].text == "4" {
                    found.append((token.line, "Errno(rawValue: 4)"))
                }
            default:
                if ["sleep", "usleep", "nanosleep"].contains(token.text), next == "(", previous != ".", previous != "func" {
                    found.append((token.line, "raw \(token.text)("))
                }
            }
        }
        let bindsErrno = tokens.indices.contains { index in
            tokens[index].text == "errno" && index > 0 && ["let", "var", ","].contains(tokens[index - 1].text)
        }
        for loop in loopRanges() {
            let continues = loop.whole.contains { tokens[$0].text == "continue" }
            for index in continues ? loop.whole : loop.condition where tokens[index].text == "errno" {
                let qualified = index > 1 && tokens[index - 1].text == "." && tokens[index - 2].text == "Glibc"
                let bare = index == 0 || tokens[index - 1].text != "."
                if qualified || (bare && !bindsErrno) {
                    found.append((tokens[index].line, "errno read inside a loop"))
                    break
                }
            }
        }
        return found.sorted { $0.0 < $1.0 }.map { "line \($0.0): \($0.1)" }
    }

    /// A token after which `.name` is a member of that value, not an implicit member.
    static func endsAnExpression(_ text: String) -> Bool {
        guard let last = text.last, !keywords.contains(text) else { return false }
        return last == ")" || last == "]" || last == "?" || last == "!" || last.isLetter || last.isNumber || last == "_"
    }

    static let keywords: Set<String> = [
        "case", "return", "where", "in", "if", "guard", "else", "throw", "try", "await",
        "is", "as", "let", "var", "switch", "while", "repeat", "default", "yield",
    ]

    /// Token index ranges of every loop: the whole loop, and its condition.
    func loopRanges() -> [(whole: Range<Int>, condition: Range<Int>)] {
        var ranges: [(whole: Range<Int>, condition: Range<Int>)] = []
        for (index, token) in tokens.enumerated() {
            switch token.text {
            case "while", "for":
                // An argument label (`for:`, `.init(for: x)`) is not a loop.
                let previous = index > 0 ? tokens[index - 1].text : ""
                if index + 1 < tokens.count, tokens[index + 1].text == ":" || [".", "(", ","].contains(previous) { continue }
                // `repeat { } while cond` is handled from `repeat`.
                if token.text == "while", let close = closingBraceBefore(index),
                    matchingOpen(close).map({ index > 0 && $0 > 0 && tokens[$0 - 1].text == "repeat" }) == true
                {
                    continue
                }
                guard let open = tokens[(index + 1)...].firstIndex(where: { $0.text == "{" }),
                    let close = matchingClose(open)
                else { continue }
                ranges.append((index..<(close + 1), index..<open))
            case "repeat":
                guard index + 1 < tokens.count, tokens[index + 1].text == "{", let close = matchingClose(index + 1) else { continue }
                // The condition after `while`: to the end of its line.
                var end = close + 1
                if end < tokens.count, tokens[end].text == "while" {
                    let line = tokens[end].line
                    while end < tokens.count, tokens[end].line == line { end += 1 }
                }
                ranges.append((index..<end, (close + 1)..<end))
            default:
                continue
            }
        }
        return ranges
    }

    private func closingBraceBefore(_ index: Int) -> Int? {
        index > 0 && tokens[index - 1].text == "}" ? index - 1 : nil
    }

    private func matchingClose(_ open: Int) -> Int? {
        var depth = 0
        for index in open..<tokens.count {
            if tokens[index].text == "{" { depth += 1 }
            if tokens[index].text == "}" {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    private func matchingOpen(_ close: Int) -> Int? {
        var depth = 0
        for index in stride(from: close, through: 0, by: -1) {
            if tokens[index].text == "}" { depth += 1 }
            if tokens[index].text == "{" {
                depth -= 1
                if depth == 0 { return index }
            }
        }
        return nil
    }

    /// Identifiers, numbers and single punctuation characters, with their
    /// line; comments and string literals produce no tokens.
    static func tokenize(_ source: String) -> [Token] {
        let characters = Array(source.unicodeScalars)
        var tokens: [Token] = []
        var index = 0
        var line = 1
        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < characters.count ? characters[index + offset] : nil
        }
        func advance() {
            if characters[index] == "\n" { line += 1 }
            index += 1
        }
        while index < characters.count {
            let character = characters[index]
            if character == "/" && peek(1) == "/" {
                while index < characters.count && characters[index] != "\n" { advance() }
            } else if character == "/" && peek(1) == "*" {
                var depth = 0
                repeat {
                    if characters[index] == "/" && peek(1) == "*" {
                        depth += 1
                        advance()
                    } else if characters[index] == "*" && peek(1) == "/" {
                        depth -= 1
                        advance()
                    }
                    advance()
                } while index < characters.count && depth > 0
            } else if character == "\"" || (character == "#" && (peek(1) == "\"" || peek(1) == "#")) {
                skipString(characters, &index, &line)
            } else if character.properties.isAlphabetic || character == "_" || ("0"..."9").contains(character) {
                var text = ""
                let start = line
                while index < characters.count,
                    characters[index].properties.isAlphabetic || characters[index] == "_" || ("0"..."9").contains(characters[index])
                {
                    text.unicodeScalars.append(characters[index])
                    advance()
                }
                tokens.append(Token(text: text, line: start))
            } else if character.properties.isWhitespace {
                advance()
            } else {
                tokens.append(Token(text: String(character), line: line))
                advance()
            }
        }
        return tokens
    }

    /// Skips one string literal: `#`s, then `"` or `"""`, to the matching close.
    private static func skipString(_ characters: [Unicode.Scalar], _ index: inout Int, _ line: inout Int) {
        var hashes = 0
        while index < characters.count && characters[index] == "#" {
            hashes += 1
            index += 1
        }
        guard index < characters.count, characters[index] == "\"" else { return }
        let multiline = index + 2 < characters.count && characters[index + 1] == "\"" && characters[index + 2] == "\""
        let quote = multiline ? 3 : 1
        index += quote
        let close = [Unicode.Scalar](repeating: "\"", count: quote) + [Unicode.Scalar](repeating: "#", count: hashes)
        while index < characters.count {
            if characters[index] == "\\" && hashes == 0 {
                index += 2
                continue
            }
            if characters[index] == "\n" { line += 1 }
            if index + close.count <= characters.count, Array(characters[index..<(index + close.count)]) == close {
                index += close.count
                return
            }
            index += 1
        }
    }
}
