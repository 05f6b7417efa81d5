import Foundation

@testable import Conntrack

/// Loads captured kernel datagrams (scripts/capture-fixtures.sh) and decodes them.
enum FixtureLoader {
    static func url(_ name: String) throws -> URL {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
        }
        return url
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: url(name), encoding: .utf8)
    }

    /// One byte array per received datagram.
    static func datagrams(_ name: String) throws -> [[UInt8]] {
        try text(name).split(separator: "\n").map { line in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(line.count / 2)
            var index = line.startIndex
            while index < line.endIndex {
                let next = line.index(index, offsetBy: 2)
                bytes.append(UInt8(line[index..<next], radix: 16)!)
                index = next
            }
            return bytes
        }
    }

    /// Every conntrack message payload in the datagrams (NLMSG_DONE excluded).
    static func payloads(_ name: String) throws -> [[UInt8]] {
        var payloads: [[UInt8]] = []
        for datagram in try datagrams(name) {
            try datagram.withUnsafeBytes { buffer in
                var cursor = NetlinkMessageCursor(buffer)
                while let message = try cursor.next() {
                    if message.type == NetlinkMessage.done { continue }
                    payloads.append(Array(message.payload))
                }
            }
        }
        return payloads
    }

    static func flows(_ name: String) throws -> [Flow] {
        try payloads(name).map { payload in
            try payload.withUnsafeBytes { try FlowDecoder.decode($0) }
        }
    }
}
