import Conntrack
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

/// The writer's own rules: layout, escaping, numbers, chunks.
@Suite("JSON writer")
struct JSONWriterTests {
    static func sample(_ json: inout JSONWriter) {
        json.beginObject()
        json.member("a", 0)
        json.member("b", -5)
        json.member("c", Int.min)
        json.member("d", nil as Int?)
        json.object("empty") { _ in }
        json.array("none", [Int]()) { $0.int($1) }
        json.array("list", [true, false]) { $0.bool($1) }
        json.member("text", "quote \" back \\ tab \t nl \n ctl \u{1} ünï")
        json.member("share", number: 0.25)
        json.member("tiny", number: 0.000031)
        json.member("negative", number: -1.5)
        json.member("nan", number: .nan)
        json.member("v4", IPAddress("10.0.0.1")!)
        json.member("v6", IPAddress("fd00::1")!)
        json.endObject()
    }

    @Test func compact() {
        let text = JSONWriter.text(.compact, Self.sample)
        #expect(
            text == #"{"a":0,"b":-5,"c":-9223372036854775808,"d":null,"empty":{},"none":[],"list":[true,false],"#
                + #""text":"quote \" back \\ tab \t nl \n ctl \u0001 ünï","share":0.25,"tiny":0.000031,"negative":-1.5,"#
                + #""nan":0,"v4":"10.0.0.1","v6":"fd00::1"}"#)
    }

    @Test func pretty() {
        let text = JSONWriter.text(.pretty) { json in
            json.beginObject()
            json.object("o") {
                $0.member("x", [String]())
                $0.member("y", ["1", "2"])
            }
            json.endObject()
        }
        #expect(text == "{\n  \"o\": {\n    \"x\": [],\n    \"y\": [\n      \"1\",\n      \"2\"\n    ]\n  }\n}")
    }

    @Test("streamed chunks add up to the text, each ending where a container closed")
    func chunks() {
        var chunks: [String] = []
        JSONWriter.stream(.pretty, chunkSize: 64, to: { chunks.append($0) }) { json in
            json.array((0..<100).map { $0 }) { json, index in
                json.beginObject()
                json.member("index", index)
                json.endObject()
            }
            json.newline()
        }
        let whole = JSONWriter.text(.pretty) { json in
            json.array((0..<100).map { $0 }) { json, index in
                json.beginObject()
                json.member("index", index)
                json.endObject()
            }
            json.newline()
        }
        #expect(chunks.count > 10)
        #expect(chunks.joined() == whole)
        #expect(chunks.dropLast().allSatisfy { $0.hasSuffix("}") || $0.hasSuffix("]") })
    }
}
