// Tensor: a dense Float32 array in row-major order (NCHW for images), backed by 64-byte aligned
// storage. Sizes: `shape` lists the extents, outermost first; `count` is their product.
// Views made by `reshaped(_:)` share the storage of the tensor they come from.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The aligned buffer behind one or more tensors; freed when the last tensor using it goes away.
final class TensorStorage: @unchecked Sendable {
    /// The alignment of every storage buffer, in bytes (one cache line, and enough for AVX-512).
    static let alignment = 64

    /// The first element.
    let base: UnsafeMutablePointer<Float>
    /// The number of Float elements the buffer holds.
    let capacity: Int

    /// Allocates `capacity` zeroed Float elements, 64-byte aligned.
    ///
    /// - Parameter capacity: The number of elements; zero allocates one cache line.
    init(capacity: Int) {
        precondition(capacity >= 0, "TensorStorage: negative capacity \(capacity)")
        let (bytes, overflow) = capacity.multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        precondition(!overflow, "TensorStorage: \(capacity) elements overflow the address space")
        let rounded = max(TensorStorage.alignment,
                          (bytes + TensorStorage.alignment - 1) / TensorStorage.alignment * TensorStorage.alignment)
        var raw: UnsafeMutableRawPointer? = nil
        let status = posix_memalign(&raw, TensorStorage.alignment, rounded)
        precondition(status == 0 && raw != nil,
                     "TensorStorage: posix_memalign of \(rounded) bytes failed (\(status))")
        parallelZero(raw!, bytes: rounded)
        self.base = raw!.bindMemory(to: Float.self, capacity: max(capacity, 1))
        self.capacity = capacity
    }

    deinit {
        free(base)
    }
}

/// A dense Float32 tensor in row-major order with 64-byte aligned storage.
///
/// A `Tensor` is a reference type: copies of the reference see the same values. `reshaped(_:)`
/// returns a view that shares the storage; `copy()` returns an independent tensor.
public final class Tensor: @unchecked Sendable {
    /// The extents, outermost first (N, C, H, W for images).
    public let shape: [Int]
    /// The number of elements, the product of `shape` (1 for a scalar of shape `[]`).
    public let count: Int
    let storage: TensorStorage
    let offset: Int

    /// Creates a tensor of zeros.
    ///
    /// - Parameter shape: The extents; each must be non-negative.
    public init(shape: [Int]) {
        let count = Tensor.elementCount(shape)
        self.shape = shape
        self.count = count
        self.storage = TensorStorage(capacity: count)
        self.offset = 0
    }

    /// Creates a tensor holding `values` in row-major order.
    ///
    /// - Parameters:
    ///   - shape: The extents; their product must equal `values.count`.
    ///   - values: The elements, row-major.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count,
                     "Tensor(shape: \(shape), values:): \(values.count) values for \(count) elements")
        values.withUnsafeBufferPointer { source in
            if let from = source.baseAddress, count > 0 {
                storage.base.update(from: from, count: count)
            }
        }
    }

    /// Creates a tensor filled with one value.
    ///
    /// - Parameters:
    ///   - shape: The extents.
    ///   - value: The value of every element.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(shape: shape)
        if value != 0 { storage.base.update(repeating: value, count: count) }
    }

    /// A view on existing storage (used by `reshaped(_:)`).
    init(storage: TensorStorage, offset: Int, shape: [Int]) {
        let count = Tensor.elementCount(shape)
        precondition(offset >= 0 && offset + count <= storage.capacity,
                     "Tensor view [\(offset), \(offset + count)) outside storage of \(storage.capacity)")
        self.shape = shape
        self.count = count
        self.storage = storage
        self.offset = offset
    }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The elements in row-major order, copied into an array (for tests and small tensors).
    public var scalars: [Float] {
        withUnsafeBufferPointer { Array($0) }
    }

    /// Calls `body` with the elements, read-only.
    ///
    /// - Parameter body: A closure receiving the `count` elements; the pointer must not escape it.
    /// - Returns: What `body` returns.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.base + offset, count: count))
    }

    /// Calls `body` with the elements, writable. Views sharing the storage see the writes.
    ///
    /// - Parameter body: A closure receiving the `count` elements; the pointer must not escape it.
    /// - Returns: What `body` returns.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: storage.base + offset, count: count))
    }

    /// Returns a view with another shape over the same elements (no copy).
    ///
    /// - Parameter newShape: The extents of the view; their product must equal `count`.
    /// - Returns: A tensor sharing this tensor's storage.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(Tensor.elementCount(newShape) == count,
                     "Tensor.reshaped: \(shape) (\(count) elements) cannot become \(newShape)")
        return Tensor(storage: storage, offset: offset, shape: newShape)
    }

    /// Sets every element to zero.
    public func zero() {
        withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress, buffer.count > 0 {
                memset(base, 0, buffer.count * MemoryLayout<Float>.stride)
            }
        }
    }

    /// Returns an independent tensor with the same shape and values.
    public func copy() -> Tensor {
        let result = Tensor(shape: shape)
        if count > 0 {
            result.storage.base.update(from: storage.base + offset, count: count)
        }
        return result
    }

    /// Copies the values of `other`, which must have the same element count.
    ///
    /// - Parameter other: The source; only its element count must match, not its shape.
    public func assign(from other: Tensor) {
        precondition(other.count == count, "Tensor.assign: \(other.shape) into \(shape)")
        if count > 0 {
            (storage.base + offset).update(from: other.storage.base + other.offset, count: count)
        }
    }

    /// Whether this tensor and `other` use the same storage (one is a view of the other).
    public func sharesStorage(with other: Tensor) -> Bool {
        storage === other.storage
    }

    /// The element at a multi-index (slow; for tests and diagnostics).
    public subscript(_ index: Int...) -> Float {
        get { withUnsafeBufferPointer { $0[flatIndex(index)] } }
        set { let i = flatIndex(index); withUnsafeMutableBufferPointer { $0[i] = newValue } }
    }

    /// The row-major flat position of a multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "Tensor: index \(index) for shape \(shape)")
        var flat = 0
        for (i, extent) in zip(index, shape) {
            precondition(i >= 0 && i < extent, "Tensor: index \(index) out of shape \(shape)")
            flat = flat * extent + i
        }
        return flat
    }

    /// The multi-index of a row-major flat position.
    public func multiIndex(_ flat: Int) -> [Int] {
        precondition(flat >= 0 && flat < count, "Tensor: flat index \(flat) out of \(count)")
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for d in stride(from: shape.count - 1, through: 0, by: -1) {
            index[d] = rest % shape[d]
            rest /= shape[d]
        }
        return index
    }

    /// The product of the extents; a precondition rejects negative extents and overflow.
    static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for extent in shape {
            precondition(extent >= 0, "Tensor: negative extent in shape \(shape)")
            let (product, overflow) = n.multipliedReportingOverflow(by: extent)
            precondition(!overflow, "Tensor: shape \(shape) overflows")
            n = product
        }
        return n
    }
}
