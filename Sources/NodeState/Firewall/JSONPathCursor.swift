import Conntrack
import Policy

/// A value inside a parsed JSON document and its path (`$.firewall.rules.input[2]`),
/// so that every complaint about a `--firewall` file says where it is.
struct JSONPathCursor {
    var file: String
    var path: String
    var value: JSONDocument

    func fail(_ message: String) -> FirewallFileError {
        FirewallFileError(path: file, location: path, message: message)
    }

    var isNull: Bool { value == .null }

    /// A member, or nil when it is absent. `null` is returned as a cursor on `.null`.
    func member(_ name: String) -> JSONPathCursor? {
        guard let member = value[name] else { return nil }
        return JSONPathCursor(file: file, path: path + "." + name, value: member)
    }

    /// A member that must be present (null allowed).
    func required(_ name: String, _ expected: String) throws(FirewallFileError) -> JSONPathCursor {
        guard let member = member(name) else {
            throw FirewallFileError(path: file, location: path + "." + name, message: "missing; expected \(expected)")
        }
        return member
    }

    func object(_ expected: String) throws(FirewallFileError) -> [String: JSONDocument] {
        guard let object = value.objectValue else { throw fail("expected \(expected), got \(kind)") }
        return object
    }

    func array(_ expected: String) throws(FirewallFileError) -> [JSONPathCursor] {
        guard case .array(let items) = value else { throw fail("expected \(expected), got \(kind)") }
        return items.enumerated().map { JSONPathCursor(file: file, path: "\(path)[\($0.offset)]", value: $0.element) }
    }

    /// A string, nil for null; anything else is an error.
    func optionalString(_ expected: String) throws(FirewallFileError) -> String? {
        if isNull { return nil }
        return try string(expected)
    }

    func string(_ expected: String) throws(FirewallFileError) -> String {
        guard let text = value.stringValue else { throw fail("expected \(expected), got \(kind)") }
        return text
    }

    func bool(_ expected: String) throws(FirewallFileError) -> Bool {
        if case .bool(let flag) = value { return flag }
        throw fail("expected \(expected), got \(kind)")
    }

    /// A whole number (`80`, `80.0`, `8e1`) or a string holding one (`"80"`).
    func int(_ expected: String) throws(FirewallFileError) -> Int {
        if let number = Self.wholeNumber(value) { return number }
        if let text = value.stringValue, let number = Int(text) { return number }
        throw fail("expected \(expected), got \(kind)")
    }

    /// A JSON number without a fractional part that fits an Int; nil for
    /// anything else (strings and booleans included).
    static func wholeNumber(_ value: JSONDocument?) -> Int? {
        guard case .number(let text)? = value else { return nil }
        if let number = Int(text) { return number }
        guard let double = Double(text) else { return nil }
        return Int(exactly: double)
    }

    /// A CIDR or bare address; host bits are masked off as the vendors do.
    func network(_ text: String) throws(FirewallFileError) -> IPNetwork {
        guard let network = IPNetwork.lenient(text) else {
            throw fail("expected an IP address or CIDR (e.g. 203.0.113.0/24), got \"\(text)\"")
        }
        return network
    }

    var kind: String {
        switch value {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .number(let text): "the number \(text)"
        case .string(let text): "\"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\""
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Parses a whole document; the error names the file and the line.
    static func parse(_ bytes: [UInt8], file: String) throws(FirewallFileError) -> JSONPathCursor {
        do {
            return JSONPathCursor(file: file, path: "$", value: try JSONDocument(parsing: bytes))
        } catch {
            throw FirewallFileError(path: file, message: "not valid JSON (line \(error.line): \(error.message))")
        }
    }
}

extension IPNetwork {
    /// `ADDR/LEN` or `ADDR`, host bits masked off; nil when not an address.
    static func lenient(_ text: String) -> IPNetwork? {
        let parts = text.trimmingSpaces.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        var length = address.family.bitCount
        if parts.count == 2 {
            guard let value = Int(parts[1]), value >= 0, value <= length else { return nil }
            length = value
        }
        return IPNetwork(unchecked: address, prefixLength: length)
    }
}
