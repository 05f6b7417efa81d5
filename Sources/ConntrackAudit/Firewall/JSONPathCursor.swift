import Foundation
import Conntrack

/// A value inside a parsed JSON document and its path (`$.firewall.rules.input[2]`),
/// so that every complaint about a `--firewall` file says where it is.
struct JSONPathCursor {
    var file: String
    var path: String
    var value: Any

    func fail(_ message: String) -> FirewallFileError {
        FirewallFileError(path: file, location: path, message: message)
    }

    var isNull: Bool { value is NSNull }

    /// A member, or nil when it is absent. `null` is returned as a cursor on NSNull.
    func member(_ name: String) -> JSONPathCursor? {
        guard let object = value as? [String: Any], let member = object[name] else { return nil }
        return JSONPathCursor(file: file, path: path + "." + name, value: member)
    }

    /// A member that must be present (null allowed).
    func required(_ name: String, _ expected: String) throws(FirewallFileError) -> JSONPathCursor {
        guard let member = member(name) else {
            throw FirewallFileError(path: file, location: path + "." + name, message: "missing; expected \(expected)")
        }
        return member
    }

    func object(_ expected: String) throws(FirewallFileError) -> [String: Any] {
        guard let object = value as? [String: Any] else { throw fail("expected \(expected), got \(kind)") }
        return object
    }

    func array(_ expected: String) throws(FirewallFileError) -> [JSONPathCursor] {
        guard let items = value as? [Any] else { throw fail("expected \(expected), got \(kind)") }
        return items.enumerated().map { JSONPathCursor(file: file, path: "\(path)[\($0.offset)]", value: $0.element) }
    }

    /// A string, nil for null; anything else is an error.
    func optionalString(_ expected: String) throws(FirewallFileError) -> String? {
        if isNull { return nil }
        guard let text = value as? String else { throw fail("expected \(expected), got \(kind)") }
        return text
    }

    func string(_ expected: String) throws(FirewallFileError) -> String {
        guard let text = value as? String else { throw fail("expected \(expected), got \(kind)") }
        return text
    }

    func bool(_ expected: String) throws(FirewallFileError) -> Bool {
        if let number = value as? NSNumber, CFGetTypeIDIsBool(number) { return number.boolValue }
        throw fail("expected \(expected), got \(kind)")
    }

    func int(_ expected: String) throws(FirewallFileError) -> Int {
        if let number = value as? NSNumber, !CFGetTypeIDIsBool(number), number.doubleValue == Double(number.intValue) {
            return number.intValue
        }
        if let text = value as? String, let number = Int(text) { return number }
        throw fail("expected \(expected), got \(kind)")
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
        case is NSNull: "null"
        case let number as NSNumber: CFGetTypeIDIsBool(number) ? "\(number.boolValue)" : "the number \(number)"
        case let text as String: "\"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\""
        case is [Any]: "an array"
        case is [String: Any]: "an object"
        default: "something else"
        }
    }

    /// Parses a whole document; the error names the file.
    static func parse(_ bytes: [UInt8], file: String) throws(FirewallFileError) -> JSONPathCursor {
        do {
            let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            return JSONPathCursor(file: file, path: "$", value: object)
        } catch {
            let nsError = error as NSError
            let detail = (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
            throw FirewallFileError(path: file, message: "not valid JSON (\(detail.split(separator: "\n").joined(separator: " ")))")
        }
    }
}

/// JSON booleans decode as NSNumber holding a Bool (objCType "c"); 0 and 1
/// decode as integers, so `true` and `1` stay apart.
func CFGetTypeIDIsBool(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c"
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
