import Foundation

/// The ```` ```console ```` blocks of a Markdown document: each `$ command`
/// line and the output the document says it prints. DocsLabTests runs the
/// commands on a lab and holds the output against the page.
///
/// What a page may leave open, and nothing else:
/// - numbers: every run of digits matches any number (ports are random,
///   counts follow them, timestamps move), except `exit N` lines;
/// - spacing: runs of blanks are one blank (columns widen with numbers);
/// - `...` (or `…`) alone on a line: any number of lines, none included;
/// - a line ending in ` ...`: any line that starts like it.
/// `<!-- docs-lab: COMMAND -->` runs COMMAND before the page's first block,
/// unshown (the lab a page's example needs).
struct DocExamples {
    struct Example: CustomStringConvertible {
        var file: String
        var line: Int
        var command: String
        var expected: [String]
        var description: String { "\(file):\(line): $ \(command)" }
    }

    var file: String
    var setup: [String]
    var examples: [Example]

    init(file: String, text: String) {
        self.file = file
        var setup: [String] = []
        var examples: [Example] = []
        var inConsole = false
        var current: Example?
        for (offset, line) in text.components(separatedBy: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("<!-- docs-lab:"), trimmed.hasSuffix("-->") {
                setup.append(String(trimmed.dropFirst("<!-- docs-lab:".count).dropLast(3)).trimmingCharacters(in: .whitespaces))
                continue
            }
            if trimmed.hasPrefix("```") {
                if inConsole, let done = current { examples.append(done) }
                current = nil
                inConsole = !inConsole && trimmed == "```console"
                continue
            }
            guard inConsole else { continue }
            if line.hasPrefix("$ ") {
                if let done = current { examples.append(done) }
                current = Example(file: file, line: offset + 1, command: String(line.dropFirst(2)), expected: [])
            } else if current != nil {
                current!.expected.append(line)
            }
        }
        self.setup = setup
        self.examples = examples
    }

    /// Digits to one `0`, blanks to one blank, trailing blanks gone.
    static func normalized(_ line: some StringProtocol) -> String {
        var out = ""
        var lastWasDigit = false
        var lastWasBlank = false
        for character in line {
            if character.isASCII && character.isNumber {
                if !lastWasDigit { out.append("0") }
                lastWasDigit = true
                lastWasBlank = false
            } else if character == " " || character == "\t" {
                if !lastWasBlank { out.append(" ") }
                lastWasBlank = true
                lastWasDigit = false
            } else {
                out.append(character)
                lastWasDigit = false
                lastWasBlank = false
            }
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    static func isElision(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed == "..." || trimmed == "…"
    }

    static func lineMatches(_ expected: String, _ actual: String) -> Bool {
        let trimmed = expected.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("exit "), trimmed.dropFirst(5).allSatisfy(\.isNumber) {
            return trimmed == actual.trimmingCharacters(in: .whitespaces)
        }
        for suffix in [" ...", " …"] where trimmed.hasSuffix(suffix) {
            return normalized(actual).hasPrefix(normalized(trimmed.dropLast(suffix.count)))
        }
        return normalized(expected) == normalized(actual)
    }

    /// Whether `actual` (the whole output) is what `expected` shows. Leading
    /// and trailing blank lines do not count.
    static func matches(_ expected: [String], _ actual: [String]) -> Bool {
        func trimmed(_ lines: [String]) -> [String] {
            var lines = lines
            while lines.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeFirst() }
            while lines.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { lines.removeLast() }
            return lines
        }
        let pattern = trimmed(expected)
        let lines = trimmed(actual)
        // memo[i][j]: pattern[i...] matches lines[j...].
        var memo = [[Bool?]](repeating: [Bool?](repeating: nil, count: lines.count + 1), count: pattern.count + 1)
        func match(_ i: Int, _ j: Int) -> Bool {
            if let known = memo[i][j] { return known }
            let result: Bool
            if i == pattern.count {
                result = j == lines.count
            } else if isElision(pattern[i]) {
                result = match(i + 1, j) || (j < lines.count && match(i, j + 1))
            } else {
                result = j < lines.count && lineMatches(pattern[i], lines[j]) && match(i + 1, j + 1)
            }
            memo[i][j] = result
            return result
        }
        return match(0, 0)
    }

    /// The first expected line that cannot be matched in order, for the failure message.
    static func firstMismatch(_ expected: [String], _ actual: [String]) -> String? {
        var j = 0
        for line in expected where !isElision(line) && !line.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let found = actual[j...].firstIndex(where: { lineMatches(line, $0) }) else { return line }
            j = found + 1
        }
        return nil
    }
}
