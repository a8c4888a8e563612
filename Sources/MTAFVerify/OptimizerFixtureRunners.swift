// OptimizerFixtureRunners: runs the optimizer fixtures (`optim_sgd_poly_groups`,
// `optim_adam_poly`) through `Optim/`. Nothing is fixed here: the parameters are the stored
// tensors `param` / `param.<suffix>`, the steps come from the sidecar (`steps`), the gradient of
// parameter `param<s>` at step i is `grad.step<i><s>` (absent: no gradient written that step),
// and its result is `expected.param<s>` or, when that is absent, `expected<s>`.

import MTAFNet

/// The parameters of one optimizer case loaded into a `ParameterStore`.
///
/// Each stored `param<s>` becomes a store parameter named after `<s>` without its leading dot
/// (`param.group1` → `group1`, `param` → `param`).
struct OptimizerFixtureCase {
    struct Parameter {
        let id: ParameterID
        let suffix: String
        let expectedKey: String
    }

    let store = ParameterStore()
    var parameters: [Parameter] = []
    let steps: Int
    let schedule: PolySchedule?
    let baseLearningRate: Double

    init(_ fixture: Fixture) throws {
        steps = try fixture.int("steps")
        baseLearningRate = try fixture.double("lr")
        guard steps >= 0 else {
            throw FixtureError.unsupported(file: fixture.path, reason: "sidecar 'steps' is \(steps)")
        }
        if fixture.has("schedule") {
            let kind = try fixture.string("schedule")
            guard kind == "poly" else {
                throw FixtureError.unsupported(file: fixture.path, reason: "schedule '\(kind)' is not 'poly'")
            }
            let maxIterations = try fixture.int("max_iters")
            guard maxIterations >= steps, maxIterations > 0 else {
                throw FixtureError.unsupported(file: fixture.path,
                                               reason: "max_iters \(maxIterations) with \(steps) steps")
            }
            schedule = PolySchedule(base: baseLearningRate, maxIterations: maxIterations,
                                    power: try fixture.double("power"))
        } else {
            schedule = nil
        }
        for key in fixture.keys where key == "param" || key.hasPrefix("param.") {
            let suffix = String(key.dropFirst("param".count))
            let tensor = try fixture.tensor(key)
            let id = store.register(name: suffix.isEmpty ? key : String(suffix.dropFirst()),
                                    shape: tensor.shape)
            tensor.withUnsafeBufferPointer { source in
                store.withValues(id) { target in
                    for i in 0..<source.count { target[i] = source[i] }
                }
            }
            let expectedKey = fixture.hasTensor("expected.param" + suffix) || suffix.isEmpty
                ? "expected.param" + suffix : "expected" + suffix
            parameters.append(Parameter(id: id, suffix: suffix, expectedKey: expectedKey))
        }
        guard !parameters.isEmpty else {
            throw FixtureError.unsupported(file: fixture.path, reason: "no 'param' or 'param.*' tensor")
        }
    }

    /// The scheduled learning rate of step `step` (spec §4.5), or the constant `lr`.
    func learningRate(at step: Int) -> Double {
        schedule?.learningRate(at: step) ?? baseLearningRate
    }

    /// Zeroes the gradients and writes the stored gradients of step `step`.
    func loadGradients(step: Int, from fixture: Fixture) throws {
        store.zeroGradients()
        for parameter in parameters {
            let key = "grad.step\(step)" + parameter.suffix
            guard fixture.hasTensor(key) else { continue }
            let gradient = try fixture.tensor(key)
            guard gradient.shape == store[parameter.id].shape else {
                throw FixtureError.unsupported(
                    file: fixture.path,
                    reason: "tensor '\(key)' has shape \(gradient.shape), wanted \(store[parameter.id].shape)")
            }
            gradient.withUnsafeBufferPointer { source in
                store.withGradient(parameter.id) { target in
                    for i in 0..<source.count { target[i] += source[i] }
                }
            }
        }
    }

    /// The parameters' final values keyed by their expected names.
    func results() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for parameter in parameters {
            let values = store.withValues(parameter.id) { Array($0) }
            out[parameter.expectedKey] = Tensor(shape: store[parameter.id].shape, values: values)
        }
        return out
    }
}

/// Runs sidecar `"optimizer": "sgd"` cases: SGD with `momentum`, `weight_decay`, groups from
/// the parameter suffix `.group<j>` (no suffix: group 0), group j's learning rate `lr` (poly
/// scheduled when `schedule` is "poly") times `group<j>_lr_factor` (1 for group 0 when absent),
/// each parameter listed once, `steps` steps. Spec §4.5, §4.6 (PyTorch 1.3.1 `optim.SGD`).
public enum SGDFixtureRunner: FixtureRunner {
    public static func handles(_ fixture: Fixture) -> Bool {
        (try? fixture.string("optimizer")) == "sgd"
    }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let setup = try OptimizerFixtureCase(fixture)
        var members: [Int: [ParameterID]] = [:]
        for parameter in setup.parameters {
            members[try group(of: parameter.suffix, in: fixture), default: []].append(parameter.id)
        }
        let groupCount = (members.keys.max() ?? 0) + 1
        var factors: [Double] = []
        for j in 0..<groupCount {
            let key = "group\(j)_lr_factor"
            if fixture.has(key) || j > 0 {
                factors.append(try fixture.double(key))
            } else {
                factors.append(1)
            }
        }
        let groups = (0..<groupCount).map { SGD.Group(parameters: members[$0] ?? []) }
        let sgd = SGD(store: setup.store, groups: groups, momentum: try fixture.double("momentum"),
                      weightDecay: try fixture.double("weight_decay"), repetition: .repeated)
        for step in 0..<setup.steps {
            try setup.loadGradients(step: step, from: fixture)
            let lr = setup.learningRate(at: step)
            sgd.setLearningRates(factors.map { lr * $0 })
            sgd.step()
        }
        return setup.results()
    }

    /// The group index of a parameter suffix: `.group<j>` → j, no suffix → 0.
    private static func group(of suffix: String, in fixture: Fixture) throws -> Int {
        if suffix.isEmpty { return 0 }
        guard suffix.hasPrefix(".group"), let j = Int(suffix.dropFirst(".group".count)), j >= 0 else {
            throw FixtureError.unsupported(file: fixture.path,
                                           reason: "tensor 'param\(suffix)' is not 'param.group<j>'")
        }
        return j
    }
}

/// Runs sidecar `"optimizer": "adam"` cases: Adam with `betas`, `eps`, learning rate `lr` (poly
/// scheduled when `schedule` is "poly") over every stored parameter, `steps` steps.
/// Spec §4.5, §4.6 (PyTorch 1.3.1 `optim.Adam`).
public enum AdamFixtureRunner: FixtureRunner {
    public static func handles(_ fixture: Fixture) -> Bool {
        (try? fixture.string("optimizer")) == "adam"
    }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let setup = try OptimizerFixtureCase(fixture)
        let betas = try fixture.doubleArray("betas")
        guard betas.count == 2, betas.allSatisfy({ (0..<1).contains($0) }) else {
            throw FixtureError.unsupported(file: fixture.path, reason: "sidecar 'betas' is \(betas)")
        }
        let adam = Adam(store: setup.store, parameters: setup.parameters.map(\.id),
                        betas: (betas[0], betas[1]), eps: try fixture.double("eps"))
        for step in 0..<setup.steps {
            try setup.loadGradients(step: step, from: fixture)
            adam.learningRate = setup.learningRate(at: step)
            adam.step()
        }
        return setup.results()
    }
}
