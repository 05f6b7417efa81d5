/// An append-only array in fixed-size chunks: growing allocates one more
/// chunk and never copies what is already stored, so a list of tens of
/// thousands of records peaks at its size, not at twice it during a
/// doubling copy.
struct ChunkedArray<Element: Sendable>: Sendable {
    /// 1 024 elements per chunk (64 KiB for a 64-byte record).
    private static var chunkShift: Int { 10 }
    private static var chunkSize: Int { 1 << chunkShift }

    private var chunks: [[Element]] = []
    private(set) var count = 0

    mutating func append(_ element: Element) {
        if count & (Self.chunkSize - 1) == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    subscript(index: Int) -> Element {
        get { chunks[index >> Self.chunkShift][index & (Self.chunkSize - 1)] }
        set { chunks[index >> Self.chunkShift][index & (Self.chunkSize - 1)] = newValue }
    }
}
