/// The canonical text of an address written as bytes, without building a
/// String: reports write tens of thousands of addresses, and `description`
/// is this text too, so there is one formatter.
extension IPAddress {
    /// Room for the longest canonical text (39 bytes: eight full groups).
    public static let maximumTextLength = 48

    /// Calls `body` with the address's canonical text (as `description`) in a
    /// stack buffer, valid only inside `body`.
    @inline(__always)
    public func withCanonicalText<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &storage) { raw in
            let start = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return body(UnsafeBufferPointer(start: start, count: writeCanonicalText(to: start)))
        }
    }

    /// Writes the canonical text at `out`, which has room for
    /// `maximumTextLength` bytes; returns the bytes written. Dotted quad, or
    /// RFC 5952 for IPv6: lower case, the longest run of two or more zero
    /// groups compressed (the first on a tie), an IPv4-mapped address with
    /// its dotted tail (section 5).
    public func writeCanonicalText(to out: UnsafeMutablePointer<UInt8>) -> Int {
        switch family {
        case .ipv4:
            return Self.writeDottedQuad(UInt32(truncatingIfNeeded: low), to: out)
        case .ipv6:
            if high == 0 && (low >> 32) == 0xffff {
                for (offset, byte) in "::ffff:".utf8.enumerated() { out[offset] = byte }
                return 7 + Self.writeDottedQuad(UInt32(truncatingIfNeeded: low), to: out + 7)
            }
            return writeIPv6(to: out)
        }
    }

    private func group(_ index: Int) -> UInt16 {
        UInt16(truncatingIfNeeded: (index < 4 ? high : low) >> UInt64(16 * (3 - index % 4)))
    }

    private func writeIPv6(to out: UnsafeMutablePointer<UInt8>) -> Int {
        // The longest run of zero groups (length >= 2), the first on a tie.
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for index in 0...8 {
            if index < 8 && group(index) == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var count = 0
        var index = 0
        while index < 8 {
            if index == bestStart {
                out[count] = 0x3A
                out[count + 1] = 0x3A
                count += 2
                index += bestLength
                continue
            }
            if count > 0 && out[count - 1] != 0x3A {
                out[count] = 0x3A
                count += 1
            }
            count += Self.writeHex(group(index), to: out + count)
            index += 1
        }
        return count
    }

    /// Lower-case hex without leading zeros (one digit for zero).
    private static func writeHex(_ value: UInt16, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        var shift = 12
        while shift > 0 && (value >> UInt16(shift)) == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0xF
            out[count] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
            count += 1
            shift -= 4
        }
        return count
    }

    private static func writeDottedQuad(_ value: UInt32, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var count = 0
        for shift in stride(from: 24, through: 0, by: -8) {
            if shift != 24 {
                out[count] = 0x2E
                count += 1
            }
            let octet = UInt8(truncatingIfNeeded: value >> UInt32(shift))
            if octet >= 100 {
                out[count] = 0x30 + octet / 100
                count += 1
            }
            if octet >= 10 {
                out[count] = 0x30 + octet / 10 % 10
                count += 1
            }
            out[count] = 0x30 + octet % 10
            count += 1
        }
        return count
    }
}
