import Foundation
import TestSupport
import Testing
import Yams

@testable import Policy

/// ctaudit's config YAML parser against Yams (the YAML library the rest of
/// the Swift world uses), on the configs the project ships and documents and
/// on generated documents: where both read a document they read the same tree,
/// and nothing Yams refuses is accepted.
@Suite("Config YAML: the subset parser agrees with Yams")
struct StrictYAMLTests {
    /// A tree both parsers' nodes turn into.
    indirect enum Tree: Equatable, CustomStringConvertible {
        case scalar(String, null: Bool)
        case sequence([Tree])
        case mapping([Pair])

        struct Pair: Equatable {
            var key: Tree
            var value: Tree
        }

        init(_ node: StrictYAML.Node) {
            switch node.value {
            case .scalar(let text, _): self = .scalar(node.isNull ? "" : text, null: node.isNull)
            case .sequence(let items): self = .sequence(items.map(Tree.init))
            case .mapping(let entries): self = .mapping(entries.map { Pair(key: Tree($0.key), value: Tree($0.value)) })
            }
        }

        init(_ node: Yams.Node) {
            switch node {
            case .scalar(let scalar):
                let null = node.tag == Tag(.null)
                self = .scalar(null ? "" : scalar.string, null: null)
            case .sequence(let sequence): self = .sequence(sequence.map { Tree($0) })
            case .mapping(let mapping): self = .mapping(mapping.map { Pair(key: Tree($0.key), value: Tree($0.value)) })
            case .alias: self = .scalar("<alias>", null: false)
            }
        }

        var description: String {
            switch self {
            case let .scalar(text, null): null ? "~" : "\"\(text)\""
            case .sequence(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
            case .mapping(let pairs): "{" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
            }
        }
    }

    /// nil when the parser refuses the text.
    static func ours(_ text: String) -> Tree?? {
        do { return try StrictYAML.parse(text).map(Tree.init) } catch { return nil }
    }

    static func yams(_ text: String) -> Tree?? {
        do { return try Yams.compose(yaml: text).map(Tree.init) } catch { return nil }
    }

    static let shipped: [String] = {
        let root = TestFixtures.repositoryRoot
        var texts = [try! String(contentsOf: root.appendingPathComponent("deploy/config.yaml"), encoding: .utf8)]
        // Every ```yaml block of docs/CONFIG.md.
        let doc = try! String(contentsOf: root.appendingPathComponent("docs/CONFIG.md"), encoding: .utf8)
        for block in doc.components(separatedBy: "```yaml\n").dropFirst() {
            texts.append(block.components(separatedBy: "```").first ?? "")
        }
        return texts
    }()

    @Test("the shipped and documented configs read the same as with Yams")
    func shippedConfigs() throws {
        #expect(Self.shipped.count >= 2)
        for text in Self.shipped {
            let expected = try #require(Self.yams(text), "Yams refuses a shipped config:\n\(text)")
            #expect(Self.ours(text) == .some(expected), "\(text)")
        }
    }

    @Test(
        "hand-picked styles",
        arguments: [
            "a: 1\nb:\n  - x\n  - y\n",
            "a:\n- x\n- y\nb: z\n",  // Go's yaml.v3 writes lists without indentation
            "a: [x, y , 'z w']\nb: {c: d, e: \"f\\tg\"}\n",
            "a: [x,\n  y,\n  z]\n",  // a flow list over several lines
            "a: 'it''s'\nb: \"say \\\"hi\\\"\"\nc: 'a # not a comment'\n",
            "a:   # comment\n  b: c # another\n",
            "---\na: b\n...\n",
            "- a: 1\n  b: 2\n- c\n",
            "a: ~\nb: null\nc:\nd: ''\ne: \"null\"\n",
            "profiles:\n  x: {allow: 1-2, description: the x}\n",
            "a: 10.0.0.0/8\nb: fd00::/8\nc: 1024-2047,32768-65535\nd: http://x:80/y\n",
            "a: b:c\n",
            "a: [ ]\nb: { }\n",
            "a: |\n  line one\n  # not a comment\n\n  line three\nb: x\n",
            "a: >\n  folded\n  text\n\n  new paragraph\n    kept\n  back\nb: x\n",
            "a: |-\n  no newline\nb: |+\n  keep\n\nc: >2\n   indented by one\n",
            "- |\n  item text\n- key: >-\n    folded item\n  other: y\n",
            "{\"kind\": \"IPPool\",\n \"spec\": {\"cidr\": \"10.1.0.0/16\", \"disabled\": false}}\n",
            "a: plain text\n  continued here\nb: 'quoted\n  over lines'\n",
        ])
    func handPicked(_ text: String) throws {
        let expected = try #require(Self.yams(text), "Yams refuses:\n\(text)")
        #expect(Self.ours(text) == .some(expected), "\(text)")
    }

    @Test(
        "what the subset leaves out is refused with a reason",
        arguments: [
            ("a: &x 1\nb: *x\n", "anchors"),
            ("a: !!str 1\n", "tags"),
            ("? a\n: b\n", "complex keys"),
            ("a: 1\n---\nb: 2\n", "more than one YAML document"),
            ("a: 1\na: 2\n", "'a' is set twice"),
            ("a:\n\t- x\n", "tab"),
            ("a: [x, y\n", "never closed"),
            ("a: b\n  c: d\n", "unexpected indentation"),
            ("a: \"x\n", "never closed"),
        ])
    func refused(_ text: String, _ reason: String) {
        do {
            _ = try StrictYAML.parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.message.contains(reason), "\(error)")
        }
    }

    // MARK: Generated documents

    typealias Generator = SeededGenerator

    static let keys = ["pod_cidrs", "allow", "profile", "x", "a b", "k-1", "exclude_dst", "description", "office.edge"]
    static let scalars = [
        "10.0.0.0/8", "fd00:10::/56", "1024-65535", "1024-2047,32768-65535", "hetzner-robot",
        "a b c", "it's", "x: y", "#hash", "x #y", "null", "", "~", "true", "[x]", "{y}", "-", "- z",
        "a\tb", "quote \" inside", "back\\slash", "ünïcode", "123", "@at", "*star", "&amp", "!bang", "|pipe",
    ]

    /// Renders `tree` as YAML in a random style (every style valid YAML inside the subset).
    static func render(_ tree: Tree, indent: Int, _ rng: inout Generator, flowOnly: Bool = false) -> String {
        switch tree {
        case let .scalar(text, null):
            if null { return (flowOnly ? ["~", "null"] : ["", "~", "null"]).randomElement(using: &rng)! }
            return scalarText(text, &rng, inFlow: flowOnly)
        case .sequence(let items):
            if flowOnly || items.isEmpty || Bool.random(using: &rng) && items.allSatisfy(isLeaf) {
                return "["
                    + items.map { render($0, indent: 0, &rng, flowOnly: true) }.joined(
                        separator: [", ", ",", " , "].randomElement(using: &rng)!) + "]"
            }
            let pad = String(repeating: " ", count: indent)
            return "\n"
                + items.map { item in
                    let body = render(item, indent: indent + 2, &rng)
                    return pad + "- " + (body.hasPrefix("\n") ? String(body.drop { $0 == "\n" }.drop { $0 == " " }) : body)
                }.joined(separator: "\n")
        case .mapping(let pairs):
            if flowOnly || pairs.isEmpty || Bool.random(using: &rng) && pairs.allSatisfy({ isLeaf($0.value) }) {
                return "{"
                    + pairs.map {
                        "\(render($0.key, indent: 0, &rng, flowOnly: true)): \(render($0.value, indent: 0, &rng, flowOnly: true))"
                    }
                    .joined(separator: ", ") + "}"
            }
            let pad = String(repeating: " ", count: indent)
            return "\n"
                + pairs.map { pair in
                    var line = pad + render(pair.key, indent: 0, &rng, flowOnly: true) + ":"
                    if case .sequence(let items) = pair.value, !items.isEmpty, Bool.random(using: &rng) {
                        // An indentless list under its key.
                        let body = render(pair.value, indent: indent, &rng)
                        line += body.hasPrefix("\n") ? body : " " + body
                    } else {
                        let body = render(pair.value, indent: indent + [2, 4].randomElement(using: &rng)!, &rng)
                        line += body.hasPrefix("\n") ? body : (body.isEmpty ? "" : " " + body)
                    }
                    if Int.random(in: 0..<5, using: &rng) == 0, !line.hasSuffix(":") || true { line += "  # note" }
                    return line
                }.joined(separator: "\n")
        }
    }

    static func isLeaf(_ tree: Tree) -> Bool { if case .scalar = tree { true } else { false } }

    static func scalarText(_ text: String, _ rng: inout Generator, inFlow: Bool) -> String {
        let needsQuotes =
            text.isEmpty || ["null", "~"].contains(text) || text.contains(": ") || text.hasPrefix("#")
            || text.contains(" #") || text.contains("\t") || text.contains("\"") || text.contains("\\")
            || "[]{}-@*&!|>'%`?,".contains(text.first ?? " ") || text.hasSuffix(":")
            || (inFlow && text.contains(where: { "[]{},".contains($0) }))
        let style = needsQuotes ? Int.random(in: 1...2, using: &rng) : Int.random(in: 0...2, using: &rng)
        switch style {
        case 0: return text
        case 1: return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        default:
            return "\""
                + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\t", with: "\\t") + "\""
        }
    }

    static func tree(depth: Int, _ rng: inout Generator) -> Tree {
        let roll = Int.random(in: 0..<10, using: &rng)
        if depth == 0 || roll < 4 {
            let text = scalars.randomElement(using: &rng)!
            return Int.random(in: 0..<12, using: &rng) == 0 ? .scalar("", null: true) : .scalar(text, null: false)
        }
        if roll < 7 {
            return .sequence((0..<Int.random(in: 0...3, using: &rng)).map { _ in tree(depth: depth - 1, &rng) })
        }
        var used = Set<String>()
        var pairs: [Tree.Pair] = []
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let key = keys.randomElement(using: &rng)!
            guard used.insert(key).inserted else { continue }
            pairs.append(.init(key: .scalar(key, null: false), value: tree(depth: depth - 1, &rng)))
        }
        return .mapping(pairs)
    }

    @Test("3 000 generated documents read the same as with Yams (seed printed on failure)")
    func generated() throws {
        let seed = TestSeed.value(default: 0x00C0_FFEE_2026_1204)
        var rng = Generator(seed: seed)
        for number in 0..<3000 {
            var root = Self.tree(depth: 3, &rng)
            if case .mapping = root {} else { root = .mapping([.init(key: .scalar("root", null: false), value: root)]) }
            let text = Self.render(root, indent: 0, &rng).drop { $0 == "\n" } + "\n"
            guard let expected = Self.yams(String(text)) else {
                Issue.record("\(TestSeed.describe(seed)), document \(number): the generator wrote YAML that Yams refuses:\n\(text)")
                continue
            }
            #expect(Self.ours(String(text)) == .some(expected), "\(TestSeed.describe(seed)), document \(number):\n\(text)")
        }
    }

    /// Damaged documents: where both read one, they read the same tree; and
    /// ctaudit almost never reads what Yams refuses. (The few it does are
    /// libyaml's extra strictness on already broken text — a tab or a ':'
    /// inside a flow value — which the config's own checks then judge.)
    @Test(
        "damaged documents: the same tree or a refusal (seed printed on failure)",
        arguments: [0x0BAD_5EED_2026_1204, 0x0BAD_5EED_2026_1205, 0x0BAD_5EED_2026_1206] as [UInt64])
    func damaged(seed fallback: UInt64) {
        let seed = TestSeed.value(default: fallback)
        var rng = Generator(seed: seed)
        var refusedByYams = 0
        var readOnlyByUs: [String] = []
        for number in 0..<3000 {
            let base = Self.render(Self.tree(depth: 3, &rng), indent: 0, &rng).drop { $0 == "\n" } + "\n"
            var bytes = Array(base.utf8)
            let damage: [UInt8] = Array("[]{}:-'\"# \n\t,&*!|".utf8)
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                if Bool.random(using: &rng) { bytes[at] = damage.randomElement(using: &rng)! } else { bytes.remove(at: at) }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            let theirs = Self.yams(text)
            let mine = Self.ours(text)
            if theirs == nil {
                refusedByYams += 1
                if mine != nil { readOnlyByUs.append("document \(number): \(text)") }
            } else if let mine {
                #expect(mine == theirs!, "\(TestSeed.describe(seed)), document \(number):\n\(text)")
            }
        }
        #expect(refusedByYams > 300)
        #expect(
            readOnlyByUs.count * 100 <= refusedByYams,
            "\(TestSeed.describe(seed)): \(readOnlyByUs.count) of \(refusedByYams) read:\n\(readOnlyByUs.prefix(5).joined(separator: "\n"))"
        )
    }
}
