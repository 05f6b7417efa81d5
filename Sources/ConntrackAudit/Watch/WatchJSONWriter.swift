/// `watch --format ndjson`: one JSON object per line. Records carry `event`
/// and `time`, then exactly the fields of a `violations[]` entry of
/// `ctaudit.audit/v1` (taken from `JSONReportWriter.violation`, so the two
/// cannot drift apart), then `violation`; the last line is the summary
/// (`"event":"summary"`). Field names are stable (docs/WATCH.md).
public enum WatchJSONWriter {
    /// `firewall`: the `--firewall` policy, whose deciding rule each violation then names (`rule`).
    public static func line(_ record: WatchRecord, firewall: FirewallPolicy? = nil) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(768)
        bytes.append(contentsOf: #"{"event":""#.utf8)
        bytes.append(contentsOf: record.event.rawValue.utf8)
        bytes.append(contentsOf: #"","time":""#.utf8)
        bytes.append(contentsOf: WatchClock.rfc3339(record.timeNanoseconds).utf8)
        bytes.append(UInt8(ascii: "\""))
        let decision = record.isViolation ? firewall?.decide(record.flow) : nil
        if case .object(let fields) = JSONReportWriter.violation(record.violation, decision: decision) {
            for (key, value) in fields {
                bytes.append(UInt8(ascii: ","))
                appendString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                appendCompact(value, to: &bytes)
            }
        }
        bytes.append(contentsOf: record.isViolation ? #","violation":true}"#.utf8 : #","violation":false}"#.utf8)
        bytes.append(UInt8(ascii: "\n"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Exactly `value.serialized()` (compact), written into a byte buffer:
    /// String appends made JSONValue the bottleneck of a watch under an
    /// event flood. Anything unusual (numbers, strings that need escaping) is
    /// handed to JSONValue itself, so the output cannot differ.
    static func appendCompact(_ value: JSONValue, to bytes: inout [UInt8]) {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let flag): bytes.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): appendInt(number, to: &bytes)
        case .string(let text): appendString(text, to: &bytes)
        case .array(let items):
            bytes.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendCompact(item, to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let members):
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                appendString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                appendCompact(member, to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        default:
            bytes.append(contentsOf: value.serialized().utf8)
        }
    }

    private static func appendString(_ text: String, to bytes: inout [UInt8]) {
        if text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            bytes.append(contentsOf: JSONValue.string(text).serialized().utf8)
            return
        }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: text.utf8)
        bytes.append(UInt8(ascii: "\""))
    }

    private static func appendInt(_ number: Int, to bytes: inout [UInt8]) {
        if number < 0 || number >= 1_000_000_000 {
            bytes.append(contentsOf: String(number).utf8)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = number
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[index]) }
        }
    }

    public static func summary(_ summary: WatchSummary, context: WatchContext, firewall: FirewallPolicy? = nil) -> String {
        var members: [(String, JSONValue)] = [
            ("event", .string("summary")),
            ("time", .string(WatchClock.rfc3339(context.endedAtNanoseconds))),
            ("host", .string(context.host)),
            ("netns", context.netns.map(JSONValue.string) ?? .null),
            ("duration_ms", .int(Int(context.durationNanoseconds / 1_000_000))),
            ("allowed", .string(context.allowed.description)),
            ("events", .int(summary.events)),
            ("events_new", .int(summary.eventsNew)),
            ("events_update", .int(summary.eventsUpdate)),
            ("events_destroy", .int(summary.eventsDestroy)),
            ("snat", .int(summary.snat)),
            ("remapped", .int(summary.remapped)),
            ("without_ports", .int(summary.withoutPorts)),
            ("violations", .int(summary.violations)),
            ("violations_unreplied", .int(summary.violationsUnreplied)),
            ("violations_failed", .int(summary.violationsFailed)),
            ("violations_kept_port", .int(summary.violationsKeptPort)),
            ("events_lost", .int(Int(clamping: summary.eventsLost))),
            ("events_lost_exact", .bool(summary.eventsLostExact)),
            ("overruns", .int(summary.overruns)),
            ("resyncs", .int(summary.resyncs)),
            ("resync_found", .int(summary.resyncFound)),
            ("ended_unseen", .int(summary.endedUnseen)),
            ("malformed", .int(summary.malformed)),
            ("receive_buffer", .int(context.receiveBufferBytes)),
            ("stopped_by", .string(context.stopReason.rawValue)),
        ]
        if let firewall { members.append(("firewall", .string(firewall.title))) }
        return JSONValue.object(members).serialized() + "\n"
    }
}
