import Conntrack
import TestSupport
import Testing

@testable import Engines
@testable import NodeState
@testable import Policy
@testable import Reports

@Suite("watch: text and ndjson output")
struct WatchWriterTests {

    static func record(_ event: WatchRecord.Event, status: FlowStatus = [.sourceNAT, .confirmed]) -> WatchRecord {
        WatchRecord(
            event: event, violation: Violation(flow: FlowFactory.flow(id: 77, translatedPort: 1187, status: status)),
            isViolation: true, timeNanoseconds: WatchFixtures.time)
    }

    @Test("an ndjson line is event, time, exactly audit's violation fields, then violation")
    func ndjsonMatchesAuditFields() throws {
        for event in [WatchRecord.Event.new, .update, .destroy, .resync] {
            let record = Self.record(event)
            let fields = JSONWriter.text(.compact) { JSONReportWriter.encode(record.violation, into: &$0) }.dropFirst().dropLast()
            let expected =
                #"{"event":"\#(event.rawValue)","time":"2025-11-25T04:30:12.345Z","#
                + fields + #","violation":true}"# + "\n"
            #expect(WatchJSONWriter.line(record) == expected)
        }
    }

    @Test("text lines say what happened; a destroyed unreplied violation is a failed connection")
    func textLines() {
        let writer = WatchTextWriter(color: false)
        let new = writer.line(Self.record(.new))
        #expect(new.contains("NEW") && new.contains("VIOLATION") && new.contains("via 198.51.100.2:1187"))
        #expect(new.contains("[UNREPLIED]") && !new.contains("\u{1B}["))
        let failed = writer.line(Self.record(.destroy))
        #expect(failed.contains("DESTROY") && failed.contains("never got a reply: the connection failed"))
        let replied = writer.line(Self.record(.destroy, status: [.sourceNAT, .confirmed, .seenReply]))
        #expect(replied.contains("=> got a reply") && !replied.contains("failed"))
        #expect(WatchTextWriter(color: true).line(Self.record(.new)).contains("\u{1B}["))
    }

    @Test("the summary names every count the issue asks for, in both formats")
    func summaries() {
        var summary = WatchSummary()
        summary.events = 10
        summary.snat = 4
        summary.remapped = 3
        summary.violations = 2
        summary.violationsReplied = 1
        summary.violationsFailed = 1
        summary.eventsLost = 7
        summary.resyncs = 1
        let text = WatchTextWriter().summary(summary, context: WatchFixtures.context)
        #expect(text.contains("events 10") && text.contains("snat 4") && text.contains("remapped 3"))
        #expect(text.contains("violations 2 (1 never got a reply, 1 ended without one)"))
        #expect(text.contains("events lost 7") && text.contains("stopped by signal"))
        let json = WatchJSONWriter.summary(summary, context: WatchFixtures.context)
        for field in [
            #""event":"summary""#, #""events":10"#, #""snat":4"#, #""remapped":3"#, #""violations":2"#,
            #""violations_unreplied":1"#, #""violations_failed":1"#, #""events_lost":7"#, #""stopped_by":"signal""#,
        ] {
            #expect(json.contains(field), "\(field)")
        }
        #expect(json.hasSuffix("}\n") && !json.dropLast().contains("\n"))
    }
}
