// One flat, 64-byte-aligned Float32 buffer of parameter values and one of gradients with the
// same layout; every parameter is a named view (PyTorch state_dict key, shape, offset, count)
// registered in a fixed order. Sizes: P = number of parameters; `scalarCount` = flat length
// (every view starts on a 16-scalar (64-byte) boundary; the padding between views stays 0).
// The optimizer step, gradient allreduce and checkpointing all walk this one table (architecture §2.2).

/// The parameters of one communication domain (a segmenter, or a group of discriminators).
///
/// A parameter's gradient starts out "not received", like PyTorch's `grad is None`: optimizers
/// skip it entirely until something writes its gradient (`withGradient` or
/// `markGradientReceived`). `zeroGradients()` zeroes the values but keeps the flags, like
/// `optimizer.zero_grad()` in PyTorch 1.3.1. Spec §4.6 step 1, §5.3 (warm-up).
public final class ParameterStore {
    /// One registered parameter: a view of the flat buffers.
    public struct Entry: Sendable, Equatable {
        /// PyTorch state_dict key, e.g. `layer1.0.conv1.weight` (spec §2.10).
        public let name: String
        /// Shape, row-major (e.g. [Cout, Cin, KH, KW] for a conv weight).
        public let shape: [Int]
        /// First scalar of the view in the flat buffers (a multiple of 16).
        public let offset: Int
        /// Number of scalars (product of `shape`; 1 for a scalar shape []).
        public let count: Int
    }

    /// Views are aligned to this many scalars (64 bytes).
    public static let viewAlignment = 16

    /// All parameters in registration order; `entries[id.index]` describes `id`.
    public private(set) var entries: [Entry] = []
    private var received: [Bool] = []
    private var indexByName: [String: Int] = [:]
    private let values = AlignedFloatBuffer()
    /// Grown to the values' length on first use (`allGradients`): a model that only runs
    /// forwards (evaluation) never holds a gradient buffer.
    private var gradients = AlignedFloatBuffer()

    /// The gradient buffer at its full length (zero where nothing was written yet).
    private var allGradients: AlignedFloatBuffer {
        gradients.grow(to: values.count)
        return gradients
    }

    /// Called after a layer finished writing the gradients of the given parameters (through
    /// `withGradient` or the layers' pointer access); nil when nobody listens. The distributed
    /// trainer starts a gradient bucket's allreduce once its last gradient is final (architecture §3.6).
    public var gradientsWritten: (([ParameterID]) -> Void)?

    /// Creates an empty store.
    public init() {}

    /// Number of registered parameters.
    public var parameterCount: Int { entries.count }

    /// Length of the flat buffers in scalars, padding included.
    public var scalarCount: Int { values.count }

    /// Ids of all parameters in registration order.
    public var ids: [ParameterID] { entries.indices.map { ParameterID(index: $0) } }

    /// Registers a parameter (values and gradient zero, gradient not received).
    ///
    /// - Parameters:
    ///   - name: its PyTorch state_dict key; must be unique in the store.
    ///   - shape: its shape (all extents ≥ 0).
    /// - Returns: its id (registration index).
    @discardableResult
    public func register(name: String, shape: [Int]) -> ParameterID {
        precondition(indexByName[name] == nil, "ParameterStore: '\(name)' registered twice")
        precondition(shape.allSatisfy { $0 >= 0 }, "ParameterStore: bad shape \(shape) for '\(name)'")
        let count = shape.reduce(1, *)
        let align = ParameterStore.viewAlignment
        let offset = (values.count + align - 1) / align * align
        let entry = Entry(name: name, shape: shape, offset: offset, count: count)
        values.grow(to: offset + count)
        let id = ParameterID(index: entries.count)
        entries.append(entry)
        received.append(false)
        indexByName[name] = id.index
        return id
    }

    /// The view of `id`.
    public subscript(id: ParameterID) -> Entry {
        entries[id.index]
    }

    /// The id registered under the state_dict key `name`, or nil.
    public func id(named name: String) -> ParameterID? {
        indexByName[name].map { ParameterID(index: $0) }
    }

    /// Calls `body` with the values of `id` (`self[id].count` scalars, row-major in its shape).
    public func withValues<R>(
        _ id: ParameterID, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        let entry = entries[id.index]
        return try values.withMutableBuffer(offset: entry.offset, count: entry.count, body)
    }

    /// Calls `body` with the gradient of `id` for writing, and marks it as received.
    ///
    /// Backward functions accumulate (`+=`) into it; `zeroGradients()` clears it between
    /// iterations. Spec §4.6.
    public func withGradient<R>(
        _ id: ParameterID, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        received[id.index] = true
        defer { gradientsWritten?([id]) }
        return try withGradientUnmarked(id, body)
    }

    /// Calls `body` with the gradient of `id` without changing its received flag (for reading,
    /// and for the optimizers' in-place weight decay).
    public func withGradientUnmarked<R>(
        _ id: ParameterID, _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        let entry = entries[id.index]
        return try allGradients.withMutableBuffer(offset: entry.offset, count: entry.count, body)
    }

    /// Whether `id` has ever received a gradient (PyTorch: `p.grad is not None`). Spec §4.6.
    public func hasReceivedGradient(_ id: ParameterID) -> Bool {
        received[id.index]
    }

    /// Marks `id` as having received a gradient (e.g. after an allreduce wrote the flat buffer).
    public func markGradientReceived(_ id: ParameterID) {
        received[id.index] = true
    }

    /// Exchanges the gradient buffer with `other` (grown to the store's length first), keeping
    /// the received flags: a canonical sum takes a contribution out of the store without copying
    /// it (architecture §3.12). Pointers into either buffer must not outlive the call.
    func exchangeGradients(with other: inout AlignedFloatBuffer) {
        other.grow(to: values.count)
        swap(&gradients, &other)
        gradients.grow(to: values.count)
    }

    /// Zeroes every gradient and keeps the received flags (PyTorch 1.3.1 `zero_grad`). Spec §5
    /// step 1. (A gradient buffer not yet grown to full length is zero past its end.)
    public func zeroGradients() {
        gradients.zero()
    }

    /// Calls `body` with the whole flat value buffer (`scalarCount` scalars, padding included),
    /// e.g. for a broadcast or a checkpoint.
    public func withFlatValues<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try values.withMutableBuffer(body)
    }

    /// Calls `body` with the whole flat gradient buffer (`scalarCount` scalars, same layout as
    /// the values), e.g. for an allreduce. Does not change the received flags.
    public func withFlatGradients<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try allGradients.withMutableBuffer(body)
    }
}
