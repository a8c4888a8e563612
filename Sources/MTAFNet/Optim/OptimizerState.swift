/// An optimizer's state as named tensors, for checkpoints (spec §10: we save what resuming needs).
///
/// Names are `<state_dict key>.<PyTorch state field>`: SGD `momentum_buffer`; Adam `exp_avg`,
/// `exp_avg_sq` (tensors) and `step` (a count). A parameter with no state yet (PyTorch: no
/// entry in `optimizer.state`) has no entries, so the "has a buffer" flags round-trip too.
/// Entries are in the store's registration order.
public struct OptimizerState: Sendable, Equatable {
    /// One state tensor: a copy of a flat view, row-major in the parameter's shape.
    public struct Entry: Sendable, Equatable {
        /// `<state_dict key>.<field>`.
        public var name: String
        /// The parameter's shape.
        public var shape: [Int]
        /// The scalars, `shape.reduce(1, *)` of them.
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(values.count == shape.reduce(1, *),
                         "OptimizerState.Entry '\(name)': \(values.count) values for shape \(shape)")
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// One integer counter (Adam's per-parameter `step`).
    public struct Counter: Sendable, Equatable {
        /// `<state_dict key>.step`.
        public var name: String
        /// The count.
        public var value: Int

        public init(name: String, value: Int) {
            self.name = name
            self.value = value
        }
    }

    /// State tensors in registration order.
    public var tensors: [Entry]
    /// Counters in registration order.
    public var counters: [Counter]

    public init(tensors: [Entry] = [], counters: [Counter] = []) {
        self.tensors = tensors
        self.counters = counters
    }

    /// Splits `<key>.<field>` at the last dot.
    static func split(_ name: String) -> (key: String, field: String)? {
        guard let dot = name.lastIndex(of: ".") else { return nil }
        return (String(name[..<dot]), String(name[name.index(after: dot)...]))
    }
}
