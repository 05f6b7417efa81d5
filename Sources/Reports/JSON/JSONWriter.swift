public import Conntrack

/// The one JSON writer: UTF-8 bytes appended as the document is walked, in
/// schema order, pretty (two-space indent, the report files) or compact (one
/// line, NDJSON). The writer tracks nesting and separators itself, so an
/// encoder says only what it writes: `key`, a value, `beginObject`/`endObject`.
///
/// Streaming: `stream(_:to:_:)` hands the text to a sink in chunks of about
/// 64 KiB as containers close, so a report with tens of thousands of
/// violations never exists as one string.
public struct JSONWriter {
    public enum Style: Sendable { case pretty, compact }

    public let style: Style
    /// Shared only between copies of a writer; copied before a write then (`storage`).
    private var buffer: JSONByteBuffer
    public var bytes: [UInt8] { Array(buffer.bytes) }

    /// Open containers; bit `n` of `nonEmpty` says whether the container at
    /// depth `n + 1` has an item yet. No allocation per container.
    private var depth = 0
    private var nonEmpty: UInt64 = 0
    /// A key was written: the next value follows it, not a separator.
    private var afterKey = false

    private var sink: ((UnsafeBufferPointer<UInt8>) -> Void)?
    private var chunkSize = Int.max

    public init(style: Style, capacity: Int = 1024) {
        self.style = style
        buffer = JSONByteBuffer(capacity: capacity)
    }

    public var text: String { String(decoding: buffer.bytes, as: UTF8.self) }

    /// The buffer, unshared: a copied writer writes into bytes of its own.
    /// Callers keep the reference only while they append (never across a
    /// call that asks for it again, which would then see it shared).
    @inline(__always)
    private mutating func storage() -> JSONByteBuffer {
        if !isKnownUniquelyReferenced(&buffer) { buffer = buffer.copy() }
        return buffer
    }

    /// The text `body` writes, as one string.
    public static func text(_ style: Style, _ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter(style: style)
        body(&writer)
        return writer.text
    }

    /// Runs `body`, handing `sink` the text in chunks of about `chunkSize`
    /// bytes (each ends where a container closed), then the rest.
    public static func stream(
        _ style: Style, chunkSize: Int = 64 * 1024, to sink: (String) -> Void,
        _ body: (inout JSONWriter) -> Void
    ) {
        stream(style, chunkSize: chunkSize, toBytes: { sink(String(decoding: $0, as: UTF8.self)) }, body)
    }

    /// As `stream(_:chunkSize:to:_:)`, handing `sink` the UTF-8 bytes
    /// themselves (valid only during the call): no String made per chunk.
    public static func stream(
        _ style: Style, chunkSize: Int = 64 * 1024, toBytes sink: (UnsafeBufferPointer<UInt8>) -> Void,
        _ body: (inout JSONWriter) -> Void
    ) {
        withoutActuallyEscaping(sink) { sink in
            var writer = JSONWriter(style: style, capacity: chunkSize + 16 * 1024)
            writer.sink = sink
            writer.chunkSize = chunkSize
            body(&writer)
            writer.flush()
            writer.sink = nil
        }
    }

    private mutating func flush() {
        guard let sink, buffer.count > 0 else { return }
        sink(buffer.bytes)
        storage().removeAll()
    }

    // MARK: Structure

    public mutating func beginObject() {
        valuePrefix()
        open(0x7B)
    }

    public mutating func endObject() { close(0x7D) }

    public mutating func beginArray() {
        valuePrefix()
        open(0x5B)
    }

    public mutating func endArray() { close(0x5D) }

    /// A member name in the open object; its value comes next.
    public mutating func key(_ name: StaticString) {
        guard name.hasPointerRepresentation else {
            key(name.description)
            return
        }
        // The separator, the line break and indentation, the quoted name and
        // the colon under one reserve: a violation writes about 45 keys.
        let bit: UInt64 = 1 << UInt64(depth - 1)
        let comma = nonEmpty & bit != 0
        nonEmpty |= bit
        let pretty = style == .pretty
        let length = name.utf8CodeUnitCount
        let bytes = storage()
        if pretty {
            bytes.appendLineBreak(comma: comma, indent: 2 * depth)
        } else if comma {
            bytes.append(0x2C)
        }
        bytes.append(atMost: length + 4) { out in
            out[0] = 0x22
            (out + 1).update(from: name.utf8Start, count: length)
            out[length + 1] = 0x22
            out[length + 2] = 0x3A
            if pretty { out[length + 3] = 0x20 }
            return length + (pretty ? 4 : 3)
        }
        afterKey = true
    }

    /// A member name that is data (counter names, for example): escaped.
    public mutating func key(_ name: String) {
        itemPrefix()
        appendQuoted(name)
        let bytes = storage()
        bytes.append(0x3A)
        if style == .pretty { bytes.append(0x20) }
        afterKey = true
    }

    /// A line break outside any container: after a document, between NDJSON lines.
    public mutating func newline() {
        precondition(depth == 0, "newline inside a JSON container")
        storage().append(0x0A)
        if buffer.count >= chunkSize { flush() }
    }

    private mutating func open(_ bracket: UInt8) {
        precondition(depth < 64, "JSON nested deeper than 64")
        storage().append(bracket)
        nonEmpty &= ~(1 << UInt64(depth))
        depth += 1
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        do {
            let bytes = storage()
            if nonEmpty & (1 << UInt64(depth)) != 0, style == .pretty {
                bytes.appendLineBreak(comma: false, indent: 2 * depth)
            }
            bytes.append(bracket)
        }
        // No reference to the buffer held here: flush() must find it unshared.
        if buffer.count >= chunkSize { flush() }
    }

    /// Before a value: nothing after a key, else the separator of an array item.
    private mutating func valuePrefix() {
        if afterKey {
            afterKey = false
        } else if depth > 0 {
            itemPrefix()
        }
    }

    /// `,` after the previous item, then (pretty) a new line and the indentation.
    private mutating func itemPrefix() {
        let bit: UInt64 = 1 << UInt64(depth - 1)
        let comma = nonEmpty & bit != 0
        nonEmpty |= bit
        let bytes = storage()
        if style == .pretty {
            bytes.appendLineBreak(comma: comma, indent: 2 * depth)
        } else if comma {
            bytes.append(0x2C)
        }
    }

    // MARK: Values

    public mutating func null() {
        valuePrefix()
        append("null")
    }

    public mutating func bool(_ value: Bool) {
        valuePrefix()
        append(value ? "true" : "false")
    }

    /// A decimal integer, without going through String.
    public mutating func int(_ value: Int) {
        valuePrefix()
        storage().append(atMost: 21) { out in
            var count = 0
            if value < 0 {
                out[0] = 0x2D
                count = 1
            }
            var magnitude = value.magnitude
            // Digits counted first, then written from the last one back.
            var digits = 1
            var rest = magnitude / 10
            while rest > 0 {
                digits += 1
                rest /= 10
            }
            var position = count + digits - 1
            repeat {
                out[position] = 0x30 + UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
                position -= 1
            } while magnitude > 0
            return count + digits
        }
    }

    public mutating func int(_ value: Int?) {
        if let value { int(value) } else { null() }
    }

    /// A measurement or share: up to six decimals, trailing zeros dropped
    /// (JSON has no NaN or infinity: those are written as 0).
    public mutating func number(_ value: Double) {
        valuePrefix()
        let micro = Int(((value.isFinite ? value : 0) * 1_000_000).rounded())
        if micro < 0 { storage().append(0x2D) }
        let whole = abs(micro) / 1_000_000
        var fraction = abs(micro) % 1_000_000
        appendDigits(whole)
        guard fraction > 0 else { return }
        var width = 6
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        storage().append(0x2E)
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            storage().append(0x30 + UInt8(fraction / divisor % 10))
            divisor /= 10
        }
    }

    private mutating func appendDigits(_ value: Int) {
        if value >= 10 { appendDigits(value / 10) }
        storage().append(0x30 + UInt8(value % 10))
    }

    public mutating func string(_ text: String) {
        valuePrefix()
        appendQuoted(text)
    }

    public mutating func string(_ text: String?) {
        if let text { string(text) } else { null() }
    }

    /// An address as a JSON string: IPv4 digit by digit (most addresses on a
    /// node), IPv6 through its RFC 5952 text.
    public mutating func address(_ address: IPAddress) {
        valuePrefix()
        storage().append(atMost: IPAddress.maximumTextLength + 2) { out in
            out[0] = 0x22
            let count = address.writeCanonicalText(to: out + 1)
            out[count + 1] = 0x22
            return count + 2
        }
    }

    private mutating func append(_ text: StaticString) {
        let bytes = storage()
        text.withUTF8Buffer { bytes.append($0) }
    }

    /// Quoted and escaped: `"` `\` and control characters; everything else,
    /// non-ASCII included, as its UTF-8 bytes.
    private mutating func appendQuoted(_ text: String) {
        let bytes = storage()
        bytes.append(0x22)
        var text = text
        text.withUTF8 { utf8 in
            guard utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else {
                bytes.append(utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case 0x22:
                    bytes.append(0x5C)
                    bytes.append(0x22)
                case 0x5C:
                    bytes.append(0x5C)
                    bytes.append(0x5C)
                case 0x0A:
                    bytes.append(0x5C)
                    bytes.append(0x6E)
                case 0x0D:
                    bytes.append(0x5C)
                    bytes.append(0x72)
                case 0x09:
                    bytes.append(0x5C)
                    bytes.append(0x74)
                case ..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    for escaped in [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]] { bytes.append(escaped) }
                default: bytes.append(byte)
                }
            }
        }
        bytes.append(0x22)
    }

    // MARK: Members: a key and its value in one call

    public mutating func member(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }
    public mutating func member(_ name: StaticString, _ value: String?) {
        key(name)
        string(value)
    }
    public mutating func member(_ name: StaticString, _ value: Int) {
        key(name)
        int(value)
    }
    public mutating func member(_ name: StaticString, _ value: Int?) {
        key(name)
        int(value)
    }
    public mutating func member(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }
    public mutating func member(_ name: StaticString, _ value: IPAddress) {
        key(name)
        address(value)
    }
    public mutating func member(_ name: StaticString, number value: Double) {
        key(name)
        number(value)
    }

    /// An array of strings.
    public mutating func member(_ name: StaticString, _ values: [String]) {
        key(name)
        array(values) { $0.string($1) }
    }

    /// `"name": { ... }` with `body` writing the members.
    public mutating func object(_ name: StaticString, _ body: (inout JSONWriter) -> Void) {
        key(name)
        beginObject()
        body(&self)
        endObject()
    }

    /// `"name": [ ... ]`, one `item` call per element.
    public mutating func array<Items: Sequence>(
        _ name: StaticString, _ items: Items,
        _ item: (inout JSONWriter, Items.Element) -> Void
    ) {
        key(name)
        array(items, item)
    }

    /// An array value, one `item` call per element.
    public mutating func array<Items: Sequence>(_ items: Items, _ item: (inout JSONWriter, Items.Element) -> Void) {
        beginArray()
        for element in items { item(&self, element) }
        endArray()
    }
}

extension JSONWriter {
    /// Opens a report document with the members every node report starts
    /// with (audit, check): which schema, which node and namespace, when,
    /// and the one-word verdict.
    mutating func beginDocument(schema: String, host: String, netns: String?, generatedAt: String, verdict: String) {
        beginObject()
        member("schema", schema)
        member("host", host)
        member("netns", netns)
        member("generated_at", generatedAt)
        member("verdict", verdict)
    }
}
