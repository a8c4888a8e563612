// The state dict of a model: every PyTorch state_dict key (spec §2.10, Appendix A) in PyTorch's
// order, each pointing at the storage that holds it. Trainable parameters and frozen tensors
// (BatchNorm affine parameters and running statistics) are views of `ParameterStore`s; the
// int64 `num_batches_tracked` counters live in their `BatchNorm2dLayer`.
// Sizes: E = number of entries (640 for DeepLab-v2 ResNet-101).

/// The ordered table of a model's state_dict keys. Checkpoints (`ModelCheckpoint`) read and
/// write models through it. Spec §2.10 (PyTorch `Module.state_dict()`).
public final class StateDict {
    /// Where an entry's values live.
    public enum Slot {
        /// Float32 values: a view of a parameter store (trainable or frozen).
        case floats(ParameterStore, ParameterID)
        /// The int64 scalar `num_batches_tracked` of a BatchNorm layer.
        case counter(BatchNorm2dLayer)
    }

    /// One state_dict entry.
    public struct Entry {
        /// The PyTorch key, e.g. `layer1.0.bn1.running_mean`.
        public let key: String
        /// Its shape ([] for `num_batches_tracked`).
        public let shape: [Int]
        /// Its storage.
        public let slot: Slot
        /// Whether it is an optimizer parameter (conv weights, classifier weights and biases).
        public let isTrainable: Bool
        /// Whether PyTorch holds it as a buffer (running statistics, num_batches_tracked) rather
        /// than a parameter (trainable or frozen).
        public let isBuffer: Bool
    }

    /// All entries in PyTorch's order.
    public private(set) var entries: [Entry] = []
    private var indexByKey: [String: Int] = [:]

    /// An empty table.
    public init() {}

    /// The keys in PyTorch's order.
    public var keys: [String] { entries.map(\.key) }

    /// The number of entries.
    public var count: Int { entries.count }

    /// The entry of `key`, or nil.
    public func entry(forKey key: String) -> Entry? {
        indexByKey[key].map { entries[$0] }
    }

    /// Appends an entry; keys must be unique.
    func append(key: String, shape: [Int], slot: Slot, isTrainable: Bool, isBuffer: Bool = false) {
        precondition(indexByKey[key] == nil, "StateDict: key '\(key)' registered twice")
        precondition(!(isTrainable && isBuffer), "StateDict: buffer '\(key)' cannot be trainable")
        indexByKey[key] = entries.count
        entries.append(Entry(key: key, shape: shape, slot: slot, isTrainable: isTrainable, isBuffer: isBuffer))
    }

    /// Registers a Float32 tensor in `store` under `storePrefix + key` and appends it here under `key`.
    ///
    /// - Returns: its id in `store`.
    @discardableResult
    func register(key: String, shape: [Int], in store: ParameterStore, storePrefix: String,
                  isTrainable: Bool, isBuffer: Bool = false) -> ParameterID {
        let id = store.register(name: storePrefix + key, shape: shape)
        append(key: key, shape: shape, slot: .floats(store, id), isTrainable: isTrainable, isBuffer: isBuffer)
        return id
    }

    /// The number of trainable scalars (parameters an optimizer updates).
    public var trainableScalarCount: Int {
        entries.reduce(0) { $0 + ($1.isTrainable ? $1.shape.reduce(1, *) : 0) }
    }

    /// The number of parameter scalars as PyTorch counts them (`sum(p.numel() for p in
    /// model.parameters())`): trainable ones plus the frozen BatchNorm weights and biases.
    public var parameterScalarCount: Int {
        entries.reduce(0) { $0 + ($1.isBuffer ? 0 : $1.shape.reduce(1, *)) }
    }
}
