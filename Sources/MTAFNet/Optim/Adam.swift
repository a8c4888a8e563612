// Adam over a `ParameterStore`, in PyTorch 1.3.1's exact semantics (torch.optim.Adam, no weight
// decay, no AMSGrad; eps added after the bias-correction division). Sizes: for a parameter p,
// n = its scalar count; its value, gradient g and moments m, v are n-scalar views at the same
// offset of four flat buffers; t is its step count.

import Foundation

/// Adam with one parameter group (the discriminators' optimizer, spec §4.6).
///
/// Per `step()`, for each parameter p that has ever received a gradient g (others are skipped
/// entirely): t ← t + 1; m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
/// denom = √v / √(1 − β2^t) + eps; p ← p − (lr / (1 − β1^t))·m / denom.
/// t counts optimizer steps of that parameter, not iterations (the Baseline steps each
/// discriminator T times per iteration, spec §5.1 step 5). Scalars are held as Double (Python
/// floats: bias corrections, step size) and rounded to Float where PyTorch's float32 kernels
/// take them. Spec §4.6 (upstream `optim.Adam(betas=(0.9, 0.99))`).
public final class Adam {
    /// The store whose parameters this optimizer updates.
    public let store: ParameterStore
    /// The updated parameters, each once, in update order.
    public var parameters: [ParameterID]
    /// The current learning rate (set each iteration from the poly schedule, spec §4.5).
    public var learningRate: Double
    /// β1 (0.9 in MTAF).
    public let beta1: Double
    /// MTAF's β1, β2 and eps (upstream's `optim.Adam(..., betas=(0.9, 0.99))`, spec §4.6).
    public static let mtafBeta1 = 0.9
    public static let mtafBeta2 = 0.99
    public static let mtafEps = 1e-8

    /// β2 (0.99 in MTAF).
    public let beta2: Double
    /// eps (1e-8), added after the bias-correction division.
    public let eps: Double

    private let firstMoments = AlignedFloatBuffer()
    private let secondMoments = AlignedFloatBuffer()
    private var stepCounts: [Int] = []

    /// Creates the optimizer with empty state.
    ///
    /// - Parameters:
    ///   - store: the parameters' store.
    ///   - parameters: the parameters to update (default: every parameter of `store` now).
    ///   - learningRate: the initial learning rate.
    ///   - betas: (β1, β2), each in [0, 1).
    ///   - eps: added to the denominator.
    public init(store: ParameterStore, parameters: [ParameterID]? = nil, learningRate: Double = 0,
                betas: (Double, Double) = (Adam.mtafBeta1, Adam.mtafBeta2), eps: Double = Adam.mtafEps) {
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1),
                     "Adam: betas \(betas) outside [0, 1)")
        precondition(Set(parameters ?? []).count == (parameters ?? []).count,
                     "Adam: a parameter is listed twice")
        self.store = store
        self.parameters = parameters ?? store.ids
        self.learningRate = learningRate
        self.beta1 = betas.0
        self.beta2 = betas.1
        self.eps = eps
        syncLayout()
    }

    /// Grows the moment mirrors to the store's layout (parameters registered after `init`).
    private func syncLayout() {
        firstMoments.grow(to: store.scalarCount)
        secondMoments.grow(to: store.scalarCount)
        while stepCounts.count < store.parameterCount { stepCounts.append(0) }
    }

    /// One optimizer step (PyTorch `optimizer.step()`). Spec §4.6.
    public func step() {
        syncLayout()
        let b1 = Float(beta1), b2 = Float(beta2)
        let oneMinusB1 = Float(1 - beta1), oneMinusB2 = Float(1 - beta2)
        let epsF = Float(eps)
        for id in parameters {
            guard store.hasReceivedGradient(id) else { continue }
            stepCounts[id.index] += 1
            let t = Double(stepCounts[id.index])
            let biasCorrection1 = 1 - pow(beta1, t)
            let biasCorrection2 = 1 - pow(beta2, t)
            let stepSize = Float(learningRate / biasCorrection1)
            let sqrtBias2 = Float(biasCorrection2.squareRoot())
            let entry = store[id]
            store.withValues(id) { p in
                store.withGradientUnmarked(id) { g in
                    firstMoments.withMutableBuffer(offset: entry.offset, count: entry.count) { m in
                        secondMoments.withMutableBuffer(offset: entry.offset, count: entry.count) { v in
                            for i in 0..<entry.count {
                                let gi = g[i]
                                let mi = m[i] * b1 + oneMinusB1 * gi
                                let vi = v[i] * b2 + oneMinusB2 * gi * gi
                                m[i] = mi
                                v[i] = vi
                                let denom = vi.squareRoot() / sqrtBias2 + epsF
                                p[i] = p[i] - stepSize * mi / denom
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: State (checkpoints)

    /// Number of steps `id` has taken (0: no state yet).
    public func stepCount(_ id: ParameterID) -> Int {
        id.index < stepCounts.count ? stepCounts[id.index] : 0
    }

    /// The state as `<key>.exp_avg`, `<key>.exp_avg_sq` tensors and `<key>.step` counters for
    /// parameters that have taken a step, in registration order (PyTorch's Adam state fields).
    public func exportState() -> OptimizerState {
        syncLayout()
        var state = OptimizerState()
        for id in store.ids where stepCounts[id.index] > 0 {
            let entry = store[id]
            let m = firstMoments.withMutableBuffer(offset: entry.offset, count: entry.count) { Array($0) }
            let v = secondMoments.withMutableBuffer(offset: entry.offset, count: entry.count) { Array($0) }
            state.tensors.append(.init(name: entry.name + ".exp_avg", shape: entry.shape, values: m))
            state.tensors.append(.init(name: entry.name + ".exp_avg_sq", shape: entry.shape, values: v))
            state.counters.append(.init(name: entry.name + ".step", value: stepCounts[id.index]))
        }
        return state
    }

    /// Replaces the state with `state`'s (parameters without entries start fresh). Every
    /// parameter with any entry needs all three. Nothing changes when it throws.
    ///
    /// - Throws: `OptimizerError` naming the entry whose key, field, shape or count does not fit.
    public func importState(_ state: OptimizerState) throws(OptimizerError) {
        syncLayout()
        var m: [Int: [Float]] = [:], v: [Int: [Float]] = [:], steps: [Int: Int] = [:]
        func resolve(_ name: String) throws(OptimizerError) -> (ParameterID, String) {
            guard let (key, field) = OptimizerState.split(name)
            else { throw .unknownEntry(entry: name, optimizer: "Adam") }
            guard let id = store.id(named: key)
            else { throw .unknownParameter(entry: name, parameter: key) }
            return (id, field)
        }
        for tensor in state.tensors {
            let (id, field) = try resolve(tensor.name)
            guard store[id].shape == tensor.shape
            else { throw .shapeMismatch(entry: tensor.name, expected: store[id].shape, got: tensor.shape) }
            switch field {
            case "exp_avg": m[id.index] = tensor.values
            case "exp_avg_sq": v[id.index] = tensor.values
            default: throw .unknownEntry(entry: tensor.name, optimizer: "Adam")
            }
        }
        for counter in state.counters {
            let (id, field) = try resolve(counter.name)
            guard field == "step" else { throw .unknownEntry(entry: counter.name, optimizer: "Adam") }
            guard counter.value > 0 else { throw .invalidStepCount(entry: counter.name, value: counter.value) }
            steps[id.index] = counter.value
        }
        for index in Set(m.keys).union(v.keys).union(steps.keys).sorted() {
            let key = store.entries[index].name
            if m[index] == nil { throw .incompleteState(parameter: key, missing: key + ".exp_avg") }
            if v[index] == nil { throw .incompleteState(parameter: key, missing: key + ".exp_avg_sq") }
            if steps[index] == nil { throw .incompleteState(parameter: key, missing: key + ".step") }
        }
        firstMoments.zero()
        secondMoments.zero()
        for index in stepCounts.indices { stepCounts[index] = steps[index] ?? 0 }
        for (index, values) in m {
            let entry = store.entries[index]
            firstMoments.withMutableBuffer(offset: entry.offset, count: entry.count) { buf in
                for i in 0..<entry.count { buf[i] = values[i] }
            }
        }
        for (index, values) in v {
            let entry = store.entries[index]
            secondMoments.withMutableBuffer(offset: entry.offset, count: entry.count) { buf in
                for i in 0..<entry.count { buf[i] = values[i] }
            }
        }
    }
}
