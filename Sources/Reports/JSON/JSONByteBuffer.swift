import Glibc

/// The bytes of a `JSONWriter`: a growable raw buffer. Appending is a
/// capacity check and a store or a `memcpy`; an `[UInt8]` checked its
/// uniqueness and capacity on every append, which made up most of the time
/// of writing a report with tens of thousands of violations.
///
/// A reference: `JSONWriter` copies it before writing when it is shared
/// (`copy()`), so writers keep value semantics.
final class JSONByteBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int) {
        self.capacity = Swift.max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    func copy() -> JSONByteBuffer {
        let copy = JSONByteBuffer(capacity: capacity)
        copy.base.update(from: base, count: count)
        copy.count = count
        return copy
    }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// Room for `extra` more bytes; then up to that many `appendReserved` calls.
    @inline(__always)
    func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to needed: Int) {
        var size = capacity * 2
        while size < needed { size *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        bigger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = size
    }

    /// One byte into room already reserved.
    @inline(__always)
    func appendReserved(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        appendReserved(byte)
    }

    @inline(__always)
    func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        memcpy(base + count, start, bytes.count)
        count += bytes.count
    }

    /// `length` copies of `byte` (indentation).
    @inline(__always)
    func append(repeating byte: UInt8, count length: Int) {
        guard length > 0 else { return }
        reserve(length)
        memset(base + count, Int32(byte), length)
        count += length
    }

    /// An optional comma, a line break and `indent` spaces: what precedes
    /// every item of a pretty document. Spaces go eight at a time (the
    /// reserve covers the last store's overshoot), not through memset.
    @inline(__always)
    func appendLineBreak(comma: Bool, indent: Int) {
        reserve(indent + 2 + 8)
        var position = count
        if comma {
            base[position] = 0x2C
            position += 1
        }
        base[position] = 0x0A
        position += 1
        let spaces = UnsafeMutableRawPointer(base + position)
        var written = 0
        while written < indent {
            spaces.storeBytes(of: 0x2020_2020_2020_2020 as UInt64, toByteOffset: written, as: UInt64.self)
            written += 8
        }
        count = position + indent
    }

    /// Lets `body` write at most `maximum` bytes at the end; it returns how many it wrote.
    @inline(__always)
    func append(atMost maximum: Int, _ body: (UnsafeMutablePointer<UInt8>) -> Int) {
        reserve(maximum)
        count += body(base + count)
    }

    func removeAll() { count = 0 }
}
