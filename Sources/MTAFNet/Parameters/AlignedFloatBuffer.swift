// A growable, zero-initialised, 64-byte-aligned run of Float32 scalars: the storage behind
// `ParameterStore` (values, gradients) and the optimizers' mirrors of it (momentum buffers,
// Adam moments). Sizes: `count` scalars. Pointers never leave the `with…` closures.

/// Owns one 64-byte-aligned block of `count` Float32 scalars, zero-filled on creation and growth.
///
/// Growth reallocates and copies, so callers must not keep pointers across a `grow(to:)`; the
/// closure-only API enforces that. Architecture §2.2 (one allocation per store, as llm.c lays out its parameters).
final class AlignedFloatBuffer {
    /// The alignment of the block in bytes (one cache line, the widest SIMD load).
    static let alignment = 64

    /// Number of valid scalars.
    private(set) var count: Int
    private var capacity: Int
    private var base: UnsafeMutablePointer<Float>

    /// Creates a zero-filled buffer of `count` scalars.
    init(count: Int = 0) {
        precondition(count >= 0, "AlignedFloatBuffer: negative count \(count)")
        self.count = count
        self.capacity = max(count, 16)
        self.base = AlignedFloatBuffer.allocate(capacity)
        base.initialize(repeating: 0, count: count)
    }

    deinit {
        base.deallocate()
    }

    /// A block for `capacity` scalars, of which the caller initializes what it uses: spare
    /// capacity is never written, so its pages stay unbacked (no resident memory for it).
    private static func allocate(_ capacity: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: capacity * MemoryLayout<Float>.stride, alignment: alignment)
        return raw.bindMemory(to: Float.self, capacity: capacity)
    }

    /// Grows the buffer to `newCount` scalars (new scalars are 0); never shrinks.
    func grow(to newCount: Int) {
        guard newCount > count else { return }
        if newCount > capacity {
            let newCapacity = max(newCount, capacity * 2)
            let newBase = AlignedFloatBuffer.allocate(newCapacity)
            newBase.update(from: base, count: count)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }
        (base + count).initialize(repeating: 0, count: newCount - count)
        count = newCount
    }

    /// Sets every scalar to 0.
    func zero() {
        parallelZero(base, bytes: count * MemoryLayout<Float>.stride)
    }

    /// Sets `range` to 0.
    func zero(_ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        (base + range.lowerBound).update(repeating: 0, count: range.count)
    }

    /// Calls `body` with the whole buffer (`count` scalars).
    func withMutableBuffer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: base, count: count))
    }

    /// Calls `body` with the scalars `offset ..< offset + length`.
    func withMutableBuffer<R>(
        offset: Int, count length: Int,
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        precondition(offset >= 0 && length >= 0 && offset + length <= count,
                     "AlignedFloatBuffer: range \(offset)..<\(offset + length) outside 0..<\(count)")
        return try body(UnsafeMutableBufferPointer(start: base + offset, count: length))
    }
}
