// Stochastic gradient descent with momentum over a `ParameterStore`, in PyTorch 1.3.1's exact
// semantics (torch.optim.SGD, dampening 0, no Nesterov), including upstream's repeated listing
// of backbone parameters. Sizes: for a parameter p, n = its scalar count; its value, gradient g
// and momentum buffer are n-scalar views at the same offset of three flat buffers.

/// SGD with momentum and weight decay, parameter groups with per-group learning rates.
///
/// For each group, for each *listed occurrence* of a parameter, in list order (spec §4.6):
/// 1. skip it if it never received a gradient (`ParameterStore.hasReceivedGradient`);
/// 2. g ← g + λ·p, in place in the store's gradient buffer (so the decay accumulates over
///    repeated listings of the same parameter, spec §4.8);
/// 3. buf ← copy of g if it has no momentum buffer yet, else buf ← μ·buf + g;
/// 4. p ← p − lr·buf.
/// A parameter may be listed several times in a group (`.repeated`: every listing is a full
/// update, upstream without AMP) or be updated once per step however often it is listed
/// (`.single`: what apex AMP O2 did). Scalars μ, λ and lr are held as Double (Python floats) and
/// rounded to Float for the update, as PyTorch's float32 kernels do.
/// Spec §2.9, §4.6, §4.8 (upstream `optim.SGD` built from `optim_parameters`).
public final class SGD {
    /// How a parameter listed several times is updated (spec §4.8).
    public enum Repetition: String, Sendable, CaseIterable {
        /// Every listed occurrence is a full update (PyTorch 1.3.1 without AMP; the default).
        case repeated
        /// Each parameter is updated once per step, at its first listing (apex AMP O2).
        case single

        /// The `auto` setting of spec §4.8: `.single` when TRAIN.AMP is on, else `.repeated`.
        public static func auto(amp: Bool) -> Repetition {
            amp ? .single : .repeated
        }
    }

    /// One parameter group: a list of parameters (repetitions allowed) and its learning rate.
    public struct Group: Sendable, Equatable {
        /// The listed parameters, in update order; a parameter may appear several times.
        public var parameters: [ParameterID]
        /// The group's current learning rate (set each iteration from the poly schedule, §4.5).
        public var learningRate: Double

        public init(parameters: [ParameterID], learningRate: Double = 0) {
            self.parameters = parameters
            self.learningRate = learningRate
        }
    }

    /// The store whose parameters this optimizer updates.
    public let store: ParameterStore
    /// The parameter groups (spec §2.9: group 0 backbone at 1×, group 1 classifiers at 10×).
    public var groups: [Group]
    /// Momentum μ (0.9 in MTAF).
    public let momentum: Double
    /// Weight decay λ (5e-4 in MTAF).
    public let weightDecay: Double
    /// How repeated listings are treated.
    public var repetition: Repetition

    private let buffers = AlignedFloatBuffer()
    private var hasBuffer: [Bool] = []
    private var updatedThisStep: [Bool] = []

    /// Creates the optimizer with no momentum buffers.
    ///
    /// - Parameters:
    ///   - store: the parameters' store.
    ///   - groups: the parameter groups with their listings (see `upstreamBackboneListing`).
    ///   - momentum: μ.
    ///   - weightDecay: λ, applied to every listed parameter (biases included, spec §2.9).
    ///   - repetition: `.repeated` (default) or `.single`.
    public init(store: ParameterStore, groups: [Group], momentum: Double = 0.9,
                weightDecay: Double = 5e-4, repetition: Repetition = .repeated) {
        self.store = store
        self.groups = groups
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.repetition = repetition
        syncLayout()
    }

    /// Grows the momentum mirror to the store's layout (parameters registered after `init`).
    private func syncLayout() {
        buffers.grow(to: store.scalarCount)
        while hasBuffer.count < store.parameterCount {
            hasBuffer.append(false)
            updatedThisStep.append(false)
        }
    }

    /// Sets every group's learning rate; `rates.count` must equal `groups.count`.
    public func setLearningRates(_ rates: [Double]) {
        precondition(rates.count == groups.count,
                     "SGD: \(rates.count) learning rates for \(groups.count) groups")
        for index in groups.indices { groups[index].learningRate = rates[index] }
    }

    /// One optimizer step over every group (PyTorch `optimizer.step()`). Spec §4.6, §4.8.
    public func step() {
        syncLayout()
        let mu = Float(momentum)
        let lambda = Float(weightDecay)
        if repetition == .single {
            for index in updatedThisStep.indices { updatedThisStep[index] = false }
        }
        for group in groups {
            let lr = Float(group.learningRate)
            for id in group.parameters {
                guard store.hasReceivedGradient(id) else { continue }
                if repetition == .single {
                    if updatedThisStep[id.index] { continue }
                    updatedThisStep[id.index] = true
                }
                update(id, lr: lr, momentum: mu, weightDecay: lambda)
            }
        }
    }

    /// One listed occurrence's update of `id` (steps 2–4 of the type's doc comment).
    private func update(_ id: ParameterID, lr: Float, momentum mu: Float, weightDecay lambda: Float) {
        let entry = store[id]
        let hadBuffer = hasBuffer[id.index]
        store.withValues(id) { p in
            store.withGradientUnmarked(id) { g in
                buffers.withMutableBuffer(offset: entry.offset, count: entry.count) { buf in
                    if hadBuffer {
                        for i in 0..<entry.count {
                            let gi = g[i] + lambda * p[i]
                            g[i] = gi
                            let bi = mu * buf[i] + gi
                            buf[i] = bi
                            p[i] = p[i] - lr * bi
                        }
                    } else {
                        for i in 0..<entry.count {
                            let gi = g[i] + lambda * p[i]
                            g[i] = gi
                            buf[i] = gi
                            p[i] = p[i] - lr * gi
                        }
                    }
                }
            }
        }
        hasBuffer[id.index] = true
    }

    // MARK: Upstream's listing (spec §4.8)

    /// How many times upstream lists a backbone parameter in SGD group 0: the number of dots in
    /// its state_dict key (`conv1.weight` → 1, `layer3.5.conv2.weight` → 3,
    /// `layer2.0.downsample.0.weight` → 4). Classifier parameters are listed once; this function
    /// is for backbone keys only. Spec §4.8 (upstream `get_1x_lr_params_no_scale`).
    public static func listingCount(forKey key: String) -> Int {
        key.reduce(0) { $0 + ($1 == "." ? 1 : 0) }
    }

    /// Upstream's group-0 list for the given trainable backbone parameters: for every module on
    /// the parameters' paths, in pre-order (the order of `Module.modules()` over conv1, bn1,
    /// layer1…layer4), every trainable parameter under that module, in registration order. Each
    /// parameter therefore appears `listingCount(forKey:)` times.
    ///
    /// - Parameters:
    ///   - ids: the trainable backbone parameters (frozen BN parameters excluded), in the
    ///     store's registration (state_dict) order.
    ///   - store: the store holding their keys.
    /// - Returns: the listing, `Σ listingCount(forKey:)` ids long.
    /// Spec §2.9, §4.8 (upstream `get_1x_lr_params_no_scale`).
    public static func upstreamBackboneListing(_ ids: [ParameterID],
                                               in store: ParameterStore) -> [ParameterID] {
        let keys = ids.map { store[$0].name }
        var modules: [String] = []
        var seen: Set<String> = []
        for key in keys {
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count > 1 else { continue }
            for length in 1..<parts.count {
                let prefix = parts[0..<length].joined(separator: ".")
                if seen.insert(prefix).inserted { modules.append(prefix) }
            }
        }
        var listing: [ParameterID] = []
        for module in modules {
            let head = module + "."
            for (id, key) in zip(ids, keys) where key.hasPrefix(head) {
                listing.append(id)
            }
        }
        return listing
    }

    // MARK: State (checkpoints)

    /// Whether `id` has a momentum buffer (it has been updated at least once).
    public func hasMomentumBuffer(_ id: ParameterID) -> Bool {
        id.index < hasBuffer.count && hasBuffer[id.index]
    }

    /// The momentum buffers as `<key>.momentum_buffer` tensors, for parameters that have one,
    /// in registration order (PyTorch's per-parameter `momentum_buffer` state).
    public func exportState() -> OptimizerState {
        syncLayout()
        var state = OptimizerState()
        for id in store.ids where hasBuffer[id.index] {
            let entry = store[id]
            let values = buffers.withMutableBuffer(offset: entry.offset, count: entry.count) {
                Array($0)
            }
            state.tensors.append(.init(name: entry.name + ".momentum_buffer",
                                       shape: entry.shape, values: values))
        }
        return state
    }

    /// Replaces the momentum buffers with `state`'s (parameters without an entry get none).
    /// Nothing changes when it throws.
    ///
    /// - Throws: `OptimizerError` naming the entry whose key, field or shape does not fit.
    public func importState(_ state: OptimizerState) throws(OptimizerError) {
        syncLayout()
        var found: [(ParameterID, [Float])] = []
        for tensor in state.tensors {
            guard let (key, field) = OptimizerState.split(tensor.name), field == "momentum_buffer"
            else { throw .unknownEntry(entry: tensor.name, optimizer: "SGD") }
            guard let id = store.id(named: key)
            else { throw .unknownParameter(entry: tensor.name, parameter: key) }
            guard store[id].shape == tensor.shape
            else { throw .shapeMismatch(entry: tensor.name, expected: store[id].shape, got: tensor.shape) }
            found.append((id, tensor.values))
        }
        if let counter = state.counters.first {
            throw .unknownEntry(entry: counter.name, optimizer: "SGD")
        }
        buffers.zero()
        for index in hasBuffer.indices { hasBuffer[index] = false }
        for (id, values) in found {
            let entry = store[id]
            buffers.withMutableBuffer(offset: entry.offset, count: entry.count) { buf in
                for i in 0..<entry.count { buf[i] = values[i] }
            }
            hasBuffer[id.index] = true
        }
    }
}
