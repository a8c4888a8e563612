// Scratch memory for the convolution ops (im2col columns, ASPP tap planes, packed weights).
//
// Sizes: whatever the op asks for, in Float32 elements; the buffer only ever grows.

/// A reusable, 64-byte aligned Float32 scratch buffer. It grows to the largest request seen and
/// is never reallocated for a request that fits, so a training loop allocates only on its first
/// iteration. Not thread-safe: use one workspace per thread of control.
/// Spec §2; no upstream counterpart (PyTorch allocates its im2col buffer per call).
public final class ConvWorkspace {
    private var storage: UnsafeMutablePointer<Float>?
    /// Capacity in Float32 elements.
    public private(set) var capacity: Int = 0
    /// Target size in floats of one block of im2col columns (a block is built, then multiplied,
    /// while still in cache). Tuned with `mtaf-mpi bench ops`: 2²⁰ (4 MiB).
    public var columnBlockFloats = 1 << 20
    /// Minimum number of columns (output pixels) of one im2col block: narrower GEMMs are slow.
    public var columnBlockMinColumns = 1024

    /// An empty workspace, or one pre-grown to `capacity` elements.
    public init(capacity: Int = 0) {
        if capacity > 0 { _ = buffer(capacity) }
    }

    deinit { storage?.deallocate() }

    /// A buffer of at least `count` elements; its contents are unspecified. The pointer is valid
    /// until the next call that grows the workspace or until the workspace is released.
    func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
        precondition(count >= 0, "ConvWorkspace: negative size \(count)")
        if count > capacity || storage == nil {
            storage?.deallocate()
            let grown = max(count, 16)
            storage = UnsafeMutableRawPointer.allocate(byteCount: grown * MemoryLayout<Float>.stride,
                                                       alignment: 64)
                .bindMemory(to: Float.self, capacity: grown)
            capacity = grown
        }
        return storage!
    }
}
