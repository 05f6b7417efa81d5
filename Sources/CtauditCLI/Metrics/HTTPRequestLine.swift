/// The first line of an HTTP request: method and path (query dropped).
struct HTTPRequestLine: Equatable {
    var method: String
    var path: String

    init?(_ head: [UInt8]) {
        guard let lineEnd = head.firstIndex(of: UInt8(ascii: "\r")) ?? head.firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let parts = head[..<lineEnd].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].starts(with: Array("HTTP/1.".utf8)), parts[1].first == UInt8(ascii: "/") else { return nil }
        method = String(decoding: parts[0], as: UTF8.self)
        let target = parts[1]
        path = String(
            decoding: target.split(separator: UInt8(ascii: "?"), maxSplits: 1, omittingEmptySubsequences: false)[0],
            as: UTF8.self)
    }
}
