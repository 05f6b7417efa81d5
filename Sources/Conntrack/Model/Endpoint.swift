/// One transport endpoint, an address and a port: what a capture or a
/// firewall log shows of one side of a packet. Written `ADDR:PORT` for
/// IPv4 and `[ADDR]:PORT` for IPv6.
public struct Endpoint: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    /// Why a text is not an endpoint, in words for a one-line error.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var text: String
        public var reason: String
        public init(text: String, reason: String) {
            self.text = text
            self.reason = reason
        }
        public var description: String { "'\(text)' is not an endpoint: \(reason)" }
    }

    /// Parses `198.51.100.2:2589` or `[2001:db8::2]:2589`. A bare IPv6
    /// address with a port (`2001:db8::2:2589`) is refused: it cannot be told
    /// from an address.
    /// tcpdump's `198.51.100.2.2589` and `2001:db8::2.2589` (the port after
    /// the last dot) are read too: neither can be taken for anything else.
    public init(parsing text: String) throws(ParseError) {
        let trimmed = text.withoutSurroundingSpaces
        if let dot = trimmed.lastIndex(of: "."), !trimmed.hasPrefix("["),
            trimmed.contains(":") ? trimmed.filter({ $0 == "." }).count == 1 : trimmed.filter({ $0 == "." }).count == 4,
            let address = IPAddress(String(trimmed[..<dot])), let port = Self.port(trimmed[trimmed.index(after: dot)...])
        {
            self.init(address: address, port: port)
            return
        }
        let addressText: Substring
        let portText: Substring
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else {
                throw ParseError(text: text, reason: "'[' without ']' (write [ADDR]:PORT)")
            }
            addressText = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            guard rest.hasPrefix(":") else { throw ParseError(text: text, reason: "no ':PORT' after ']'") }
            portText = rest.dropFirst()
            guard addressText.contains(":") else { throw ParseError(text: text, reason: "brackets are for IPv6 addresses") }
        } else {
            let colons = trimmed.filter { $0 == ":" }.count
            guard colons == 1, let colon = trimmed.firstIndex(of: ":") else {
                throw ParseError(
                    text: text,
                    reason: colons == 0
                        ? "no port (write ADDR:PORT, or [ADDR]:PORT for IPv6)"
                        : "an IPv6 address needs brackets: [ADDR]:PORT")
            }
            addressText = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
        }
        guard let address = IPAddress(String(addressText)) else {
            throw ParseError(text: text, reason: "'\(addressText)' is not an IP address")
        }
        guard let port = Self.port(portText) else {
            throw ParseError(text: text, reason: "'\(portText)' is not a port (1-65535)")
        }
        self.init(address: address, port: port)
    }

    /// A decimal port 1-65535, nothing else.
    public static func port(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
            let value = Int(text), (1...65535).contains(value)
        else { return nil }
        return UInt16(value)
    }

    public var description: String {
        address.family == .ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }

    public static func < (lhs: Endpoint, rhs: Endpoint) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.port < rhs.port
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (no Foundation here).
    var withoutSurroundingSpaces: Substring {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" || last == "\n" { text.removeLast() }
        return text
    }
}
