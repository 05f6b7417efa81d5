import Conntrack

/// UTF-8 output built byte by byte, for the parts of a report that grow with
/// the table (violations, offenders). Appending bytes to an array is several
/// times cheaper than appending many small Strings, and a node with tens of
/// thousands of violations writes tens of megabytes of JSON.
struct JSONByteBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func append(contentsOf other: [UInt8]) { bytes.append(contentsOf: other) }

    private static let spaces = [UInt8](repeating: 0x20, count: 64)

    /// `count` spaces.
    mutating func pad(_ count: Int) {
        if count <= Self.spaces.count {
            bytes.append(contentsOf: Self.spaces[..<count])
        } else {
            bytes.append(contentsOf: repeatElement(0x20, count: count))
        }
    }

    /// A decimal integer, without going through String.
    mutating func append(int value: Int) {
        if value < 0 { bytes.append(0x2D) }
        var magnitude = value.magnitude
        if magnitude == 0 { bytes.append(0x30); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var used = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[19 - used] = 0x30 + UInt8(magnitude % 10)
                magnitude /= 10
                used += 1
            }
            bytes.append(contentsOf: buffer[(20 - used)...])
        }
    }

    /// A JSON string: quoted, escaped exactly as `JSONValue` escapes.
    mutating func append(quoted text: String) {
        var text = text
        let plain = text.withUTF8 { utf8 in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
            bytes.append(0x22)
            bytes.append(contentsOf: utf8)
            bytes.append(0x22)
            return true
        }
        if !plain {
            var escaped = ""
            JSONValue.escape(text, into: &escaped)
            append(escaped)
        }
    }

    /// An address as a JSON string: IPv4 written digit by digit (most
    /// addresses on a node), IPv6 through its RFC 5952 text.
    mutating func append(quotedAddress address: IPAddress) {
        guard address.family == .ipv4 else {
            append(quoted: address.description)
            return
        }
        let value = UInt32(truncatingIfNeeded: address.low)
        bytes.append(0x22)
        for shift in [24, 16, 8, 0] as [UInt32] {
            let octet = Int((value >> shift) & 0xff)
            if octet >= 100 { bytes.append(0x30 + UInt8(octet / 100)) }
            if octet >= 10 { bytes.append(0x30 + UInt8(octet / 10 % 10)) }
            bytes.append(0x30 + UInt8(octet % 10))
            if shift != 0 { bytes.append(0x2E) }
        }
        bytes.append(0x22)
    }

    // MARK: Pretty-printed objects, as `JSONValue.write(indent: 2)` lays them out

    /// Members written so far in each open object, innermost last.
    private var openObjects: [Int] = []
    /// Nesting level of the first object opened (2: an item of a top-level array).
    var baseLevel = 2

    mutating func openObject() {
        append("{")
        openObjects.append(0)
    }

    /// `"name": `, after the separator from the previous member.
    mutating func member(_ name: StaticString) {
        memberPrefix()
        append(name)
        append("\": ")
    }

    mutating func member(_ name: String) {
        memberPrefix()
        append(name)
        append("\": ")
    }

    /// `,\n` (or `\n`), the indentation and the opening quote of a member
    /// name, one array per depth: a member is one append, not three.
    private static let memberPrefixes: [(first: [UInt8], next: [UInt8])] = (0..<16).map { depth in
        let indent = [UInt8](repeating: 0x20, count: 2 * depth) + [0x22]
        return ([0x0A] + indent, [0x2C, 0x0A] + indent)
    }

    private mutating func memberPrefix() {
        let written = openObjects[openObjects.count - 1]
        openObjects[openObjects.count - 1] = written + 1
        let depth = baseLevel + openObjects.count
        if depth < Self.memberPrefixes.count {
            bytes.append(contentsOf: written == 0 ? Self.memberPrefixes[depth].first : Self.memberPrefixes[depth].next)
        } else {
            append(written == 0 ? "\n" : ",\n")
            pad(2 * depth)
            bytes.append(0x22)
        }
    }

    mutating func closeObject() {
        let written = openObjects.removeLast()
        if written == 0 { append("}"); return }
        append("\n")
        pad(2 * (baseLevel + openObjects.count))
        append("}")
    }
}
