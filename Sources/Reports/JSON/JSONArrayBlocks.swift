import Glibc

/// Writes the items of a long JSON array on two threads: blocks of
/// `blockSize` items in pairs, the first written here (and streamed), the
/// second at the same time on a thread of its own into a writer of its own,
/// appended when both are done. The text is byte for byte what one thread
/// writes; memory grows by one block's text (about 0.3 MB for 256 violations).
///
/// For an audit's violations: tens of thousands of objects written after the
/// dump, the largest part of what the JSON report adds to the dump's time.
/// `item` reads only values (the report), so the two threads share nothing
/// they change.
enum JSONArrayBlocks {
    static let blockSize = 256
    /// Room for a block of violations (about 1.2 KB each) without regrowing.
    static let blockCapacity = blockSize * 1536

    static func write(count: Int, into json: inout JSONWriter, _ item: @escaping @Sendable (inout JSONWriter, Int) -> Void) {
        json.beginArray()
        var start = 0
        while start < count {
            let first = start..<min(start + blockSize, count)
            let second = first.upperBound..<min(first.upperBound + blockSize, count)
            let helper = second.isEmpty ? nil
                : BlockWriter(JSONWriter(continuing: json, capacity: blockCapacity), items: second, item)
            for index in first { item(&json, index) }
            if let helper { json.appendItems(of: helper.finish()) }
            start = second.isEmpty ? first.upperBound : second.upperBound
        }
        json.endArray()
    }

    /// One block written on a thread of its own (or in `finish()` when no
    /// thread could be started).
    private final class BlockWriter: @unchecked Sendable {
        // @unchecked: `writer` is used by the thread until it ends and by the
        // caller only after `pthread_join`, which orders the accesses.
        private var writer: JSONWriter
        private let items: Range<Int>
        private let item: @Sendable (inout JSONWriter, Int) -> Void
        private var thread: pthread_t?

        init(_ writer: JSONWriter, items: Range<Int>, _ item: @escaping @Sendable (inout JSONWriter, Int) -> Void) {
            self.writer = writer
            self.items = items
            self.item = item
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let started = pthread_create(&thread, nil, { context in
                let block = Unmanaged<BlockWriter>.fromOpaque(context!).takeRetainedValue()
                var stopping = sigset_t()
                sigemptyset(&stopping)
                sigaddset(&stopping, SIGINT)
                sigaddset(&stopping, SIGTERM)
                pthread_sigmask(SIG_BLOCK, &stopping, nil)
                block.writeItems()
                return nil
            }, context)
            if started == 0 {
                self.thread = thread
            } else {
                Unmanaged<BlockWriter>.fromOpaque(context).release()
            }
        }

        private func writeItems() {
            for index in items { item(&writer, index) }
        }

        /// The writer with the block's items in it.
        func finish() -> JSONWriter {
            if let thread {
                pthread_join(thread, nil)
                self.thread = nil
            } else {
                writeItems()
            }
            return writer
        }
    }
}
