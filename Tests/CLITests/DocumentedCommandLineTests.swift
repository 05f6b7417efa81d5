import ArgumentParser
import Foundation
import Testing

@testable import CtauditCLI

/// Docs that cannot drift (issue 23.6), the command-line half: every
/// `ctaudit ...` line in a code block of README.md, CHANGELOG.md's examples
/// and docs/*.md parses with today's options. A flag renamed or removed
/// fails here with the file and line. (What the commands print is checked
/// against a real lab run by IntegrationTests/DocsLabTests.)
@Suite("Docs: every documented command line parses")
struct DocumentedCommandLineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct CommandLine: CustomStringConvertible {
        var file: String
        var line: Int
        var words: [String]
        var description: String { "\(file):\(line): \(words.joined(separator: " "))" }
    }

    static var documents: [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
        return [root.appendingPathComponent("README.md")] + names.map { docs.appendingPathComponent($0) }
    }

    /// Shell words of one command, up to the first pipe, redirection, `;`,
    /// `&&`, `||` or comment; quotes removed.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for character in text {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            switch character {
            case "'", "\"":
                quote = character
                inWord = true
            case " ", "\t":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            case "#" where !inWord:
                return words
            case "|", ">", "<", ";", "&":
                if inWord { words.append(current) }
                return words
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    /// Every ctaudit command in the fenced code blocks of `url`. A block with
    /// `$ ` prompts shows output too: only its prompted lines are commands.
    /// Synopses (`[--netns NAME]`) and diagrams are not command lines.
    static func commandLines(in url: URL) throws -> [CommandLine] {
        let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        var found: [CommandLine] = []
        var block: [(number: Int, text: String)] = []
        var inBlock = false
        let subcommands = Set(CTAudit.configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"])
        func flush() {
            let prompted = block.contains { $0.text.trimmingCharacters(in: .whitespaces).hasPrefix("$ ") }
            var index = 0
            while index < block.count {
                let number = block[index].number
                var text = block[index].text.trimmingCharacters(in: .whitespaces)
                // Continuation lines.
                while text.hasSuffix("\\"), index + 1 < block.count {
                    index += 1
                    text = String(text.dropLast()) + " " + block[index].text.trimmingCharacters(in: .whitespaces)
                }
                index += 1
                if prompted {
                    guard text.hasPrefix("$ ") else { continue }
                    text.removeFirst(2)
                }
                if text.hasPrefix("sudo ") { text.removeFirst(5) }
                // `... | ctaudit merge -`: the ctaudit part.
                if !text.hasPrefix("ctaudit "), let range = text.range(of: "| ctaudit ") {
                    text = String(text[text.index(after: range.lowerBound)...]).trimmingCharacters(in: .whitespaces)
                }
                guard text.hasPrefix("ctaudit "), !text.contains("[--") else { continue }
                let words = Self.words(text)
                guard words.first == "ctaudit", words.count > 1, subcommands.contains(words[1]) || words[1].hasPrefix("-") else { continue }
                found.append(CommandLine(file: url.lastPathComponent, line: number, words: Array(words.dropFirst())))
            }
            block = []
        }
        for (offset, line) in lines.enumerated() {
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                if inBlock { flush() }
                inBlock.toggle()
                continue
            }
            if inBlock { block.append((offset + 1, line)) }
        }
        return found
    }

    /// Mistakes about the machine the docs were read on, not about the
    /// options: a file, directory or namespace an example names.
    static let environmental = [
        "no such file", "does not exist", "not a directory", "no network namespace",
        "no process with that id", "permission denied", "cannot write in",
    ]

    @Test func everyCommandLineParses() throws {
        var checked = 0
        for url in Self.documents {
            for command in try Self.commandLines(in: url) {
                checked += 1
                do {
                    _ = try CTAudit.parseAsRoot(command.words)
                } catch {
                    let message = CTAudit.message(for: error)
                    if CTAudit.exitCode(for: error) == .success { continue }  // --help, --version
                    if Self.environmental.contains(where: message.contains) { continue }
                    Issue.record("\(command): \(message)")
                }
            }
        }
        #expect(checked > 40, "the docs show ctaudit commands (\(checked) found)")
    }

    @Test func theReaderHandlesQuotesContinuationsAndPipes() {
        #expect(
            Self.words("ctaudit audit --pod-cidr '10.0.0.0/8' -o json | jq .") == [
                "ctaudit", "audit", "--pod-cidr", "10.0.0.0/8", "-o", "json",
            ])
        #expect(Self.words("ctaudit check --pods --quiet || echo \"not safe\"") == ["ctaudit", "check", "--pods", "--quiet"])
        #expect(Self.words("ctaudit watch --listen :9814   # comment") == ["ctaudit", "watch", "--listen", ":9814"])
    }
}
