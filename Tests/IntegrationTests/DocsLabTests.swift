import Foundation
import Testing

/// Docs that cannot drift (issue 23.6): every ```` ```console ```` block of
/// README.md and docs/*.md is run on a real lab (scripts/lab.sh, in
/// namespaces of its own: HermeticLab) and what the page says each command
/// prints must be what it prints (DocExamples says what a page may leave
/// open: numbers, spacing, elided lines). And every key of a lab audit's JSON
/// is in docs/JSON.md.
@Suite(
    "Docs against a real lab run",
    .enabled(if: Shell.isRoot, "needs root to create network namespaces"),
    .enabled(if: Shell.has("unshare") && Shell.has("iptables") && Shell.has("conntrack"), "needs util-linux, iptables and conntrack"))
struct DocsLabTests {
    static var pages: [URL] {
        let docs = Shell.packageRoot.appendingPathComponent("docs")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
        return ([Shell.packageRoot.appendingPathComponent("README.md")] + names.map { docs.appendingPathComponent($0) })
            .filter { ((try? String(contentsOf: $0, encoding: .utf8)) ?? "").components(separatedBy: "\n").contains("```console") }
    }

    @Test("the page's console examples are what the commands print", arguments: pages.map(\.lastPathComponent))
    func consoleBlocksMatchARealRun(page: String) throws {
        let url = Self.pages.first { $0.lastPathComponent == page }!
        let doc = DocExamples(file: page, text: try String(contentsOf: url, encoding: .utf8))
        try #require(!doc.examples.isEmpty)
        let (outputs, log) = try HermeticLab.run(setup: doc.setup, commands: doc.examples.map(\.command))
        for (example, output) in zip(doc.examples, outputs) {
            let actual = output.components(separatedBy: "\n")
            if !DocExamples.matches(example.expected, actual) {
                let first = DocExamples.firstMismatch(example.expected, actual).map { "first line not printed: \($0)\n" } ?? ""
                Issue.record(
                    "\(example) prints something else than the page says.\n\(first)it printed:\n\(output)\(log.isEmpty ? "" : "\nshell: \(log)")"
                )
            }
        }
    }

    /// Every key of the audit JSON of the lab (with node-local flows listed,
    /// pods named, kubernetes discovery) is explained in docs/JSON.md.
    @Test func everyKeyOfALabAuditIsInJSONmd() throws {
        let commands = [
            "ctaudit audit --netns ctlab-node --pod-cidr 10.244.0.0/24 --pod-cidr fd00:10:244::/64 --node-local -o json",
            "ctaudit audit --netns ctlab-node -o json",
        ]
        let (outputs, log) = try HermeticLab.run(setup: ["scripts/lab.sh up", "scripts/lab.sh traffic"], commands: commands)
        let doc = try String(contentsOf: Shell.packageRoot.appendingPathComponent("docs/JSON.md"), encoding: .utf8)
        var keys = Set<String>()
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                for (key, child) in object {
                    keys.insert(key)
                    collect(child)
                }
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        for output in outputs {
            // Warnings on stderr come first; the document starts at the first brace.
            let json = output[(output.firstIndex(of: "{") ?? output.startIndex)...]
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(output)\n\(log)")
            collect(object)
        }
        #expect(keys.count > 60, "\(keys.sorted())")
        for key in keys.sorted() {
            #expect(doc.contains("\"\(key)\"") || doc.contains("`\(key)`"), "docs/JSON.md does not name the key \(key)")
        }
    }
}

/// The matcher itself, without a lab.
@Suite("Docs: the example matcher")
struct DocExamplesMatcherTests {
    @Test func numbersSpacingAndElisions() {
        #expect(DocExamples.matches(["flows 73   snat 72", "...", "exit 1"], ["flows 80 snat 79", "a", "b", "exit 1"]))
        #expect(!DocExamples.matches(["exit 1"], ["exit 0"]), "exit codes are exact")
        #expect(!DocExamples.matches(["fix: pin"], ["fix (applies here): pin"]))
        #expect(DocExamples.matches(["  tcp 10.0.0.3:40002 -> ... remapped ..."], ["  tcp 10.0.0.3:41234 -> ... remapped  expires 3s"]))
        #expect(!DocExamples.matches(["a", "b"], ["a", "c", "b"]), "no elision, no extra line")
        #expect(DocExamples.matches(["", "a", ""], ["a"]))
    }

    @Test func consoleBlocksAndSetupAreRead() {
        let doc = DocExamples(
            file: "x.md",
            text: """
                <!-- docs-lab: scripts/lab.sh up -->
                ```sh
                $ not run
                ```
                ```console
                $ ctaudit audit
                out 1
                $ echo hi
                hi
                ```
                """)
        #expect(doc.setup == ["scripts/lab.sh up"])
        #expect(doc.examples.map(\.command) == ["ctaudit audit", "echo hi"])
        #expect(doc.examples.map(\.expected) == [["out 1"], ["hi"]])
    }
}
