import XCTest
@testable import MTAFNet

/// SGD, Adam and the poly schedule against a hand-written float64 reference of spec §4.5, §4.6
/// and §4.8, plus the PyTorch fixtures `optim_sgd_poly_groups` and `optim_adam_poly`.
final class OptimizerTests: XCTestCase {
    // MARK: Helpers

    /// Deterministic values in [-1, 1) (a 64-bit LCG; no global state).
    private struct Random {
        var state: UInt64
        mutating func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2_000_000) / 1_000_000 - 1
        }
        mutating func values(_ count: Int) -> [Float] { (0..<count).map { _ in next() } }
    }

    /// Float64 reference of one parameter under SGD (spec §4.6, §4.8).
    private struct SGDReference {
        var weight: [Double]
        var buffer: [Double]?
        var gradient: [Double]

        init(_ weight: [Float]) {
            self.weight = weight.map(Double.init)
            self.gradient = Array(repeating: 0, count: weight.count)
        }

        /// One step of a parameter listed `k` times with loss gradient `g`: for r = 1…k,
        /// G_r = g + λ(w_1 + … + w_r); buf = G_r or μ·buf + G_r; w_{r+1} = w_r − lr·buf.
        mutating func step(gradient g: [Float], listed k: Int, lr: Double, momentum: Double,
                           weightDecay: Double) {
            gradient = g.map(Double.init)
            for _ in 0..<k {
                for i in weight.indices { gradient[i] += weightDecay * weight[i] }
                if var b = buffer {
                    for i in b.indices { b[i] = momentum * b[i] + gradient[i] }
                    buffer = b
                } else {
                    buffer = gradient
                }
                for i in weight.indices { weight[i] -= lr * buffer![i] }
            }
        }
    }

    /// Float64 reference of one parameter under Adam (spec §4.6, 1.3.1 eps placement).
    private struct AdamReference {
        var weight: [Double]
        var m: [Double]
        var v: [Double]
        var t = 0

        init(_ weight: [Float]) {
            self.weight = weight.map(Double.init)
            m = Array(repeating: 0, count: weight.count)
            v = m
        }

        mutating func step(gradient g: [Float], lr: Double, beta1: Double = 0.9,
                           beta2: Double = 0.99, eps: Double = 1e-8) {
            t += 1
            let bc1 = 1 - pow(beta1, Double(t)), bc2 = 1 - pow(beta2, Double(t))
            for i in weight.indices {
                let gi = Double(g[i])
                m[i] = beta1 * m[i] + (1 - beta1) * gi
                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                let denom = v[i].squareRoot() / bc2.squareRoot() + eps
                weight[i] -= lr / bc1 * m[i] / denom
            }
        }
    }

    private func values(_ store: ParameterStore, _ id: ParameterID) -> [Float] {
        store.withValues(id) { Array($0) }
    }

    private func gradient(_ store: ParameterStore, _ id: ParameterID) -> [Float] {
        store.withGradientUnmarked(id) { Array($0) }
    }

    private func assertClose(_ actual: [Float], _ expected: [Double], tolerance: Double,
                             _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, label, file: file, line: line)
        var worst = 0.0, worstIndex = -1
        for (index, (a, e)) in zip(actual, expected).enumerated() where abs(Double(a) - e) > worst {
            worst = abs(Double(a) - e)
            worstIndex = index
        }
        XCTAssertLessThanOrEqual(worst, tolerance,
                                 "\(label): max abs diff \(worst) at index \(worstIndex)",
                                 file: file, line: line)
    }

    /// A segmenter-like store: three backbone weights with k = 1, 3, 4, two classifier
    /// parameters and one classifier parameter that never receives a gradient.
    private struct SGDSetup {
        let store = ParameterStore()
        var backbone: [ParameterID] = []
        var classifier: [ParameterID] = []
        let silent: ParameterID
        var initial: [ParameterID: [Float]] = [:]

        init(seed: UInt64) {
            var random = Random(state: seed)
            for (key, shape) in [("conv1.weight", [4, 3]), ("layer1.0.conv1.weight", [6]),
                                 ("layer2.0.downsample.0.weight", [2, 3])] {
                backbone.append(store.register(name: key, shape: shape))
            }
            for (key, shape) in [("layer6.conv2d_list.0.weight", [5]), ("layer6.conv2d_list.0.bias", [3])] {
                classifier.append(store.register(name: key, shape: shape))
            }
            silent = store.register(name: "layer6.conv2d_list.1.weight", shape: [4])
            for id in store.ids {
                let v = random.values(store[id].count)
                store.withValues(id) { for i in v.indices { $0[i] = v[i] } }
                initial[id] = v
            }
        }

        func groups(listing: [ParameterID]) -> [SGD.Group] {
            [SGD.Group(parameters: listing), SGD.Group(parameters: classifier + [silent])]
        }
    }

    // MARK: Fixtures (PyTorch)

    func testSGDPolyGroupsFixture() {
        XCTAssertFixturePasses("optim_sgd_poly_groups")
    }

    func testAdamPolyFixture() {
        XCTAssertFixturePasses("optim_adam_poly")
    }

    // MARK: SGD

    func testListingCountIsNumberOfDots() {
        XCTAssertEqual(SGD.listingCount(forKey: "conv1.weight"), 1)
        XCTAssertEqual(SGD.listingCount(forKey: "layer3.5.conv2.weight"), 3)
        XCTAssertEqual(SGD.listingCount(forKey: "layer2.0.downsample.0.weight"), 4)
    }

    func testUpstreamListingWalksModulesInPreOrder() {
        let store = ParameterStore()
        let keys = ["conv1.weight", "layer1.0.conv1.weight", "layer1.0.conv2.weight",
                    "layer1.1.conv1.weight"]
        let ids = keys.map { store.register(name: $0, shape: [1]) }
        let listing = SGD.upstreamBackboneListing(ids, in: store).map { store[$0].name }
        // Modules: conv1, layer1, layer1.0, layer1.0.conv1, layer1.0.conv2, layer1.1, layer1.1.conv1.
        XCTAssertEqual(listing, [
            "conv1.weight",
            "layer1.0.conv1.weight", "layer1.0.conv2.weight", "layer1.1.conv1.weight",
            "layer1.0.conv1.weight", "layer1.0.conv2.weight",
            "layer1.0.conv1.weight",
            "layer1.0.conv2.weight",
            "layer1.1.conv1.weight",
            "layer1.1.conv1.weight",
        ])
        for key in keys {
            XCTAssertEqual(listing.filter { $0 == key }.count, SGD.listingCount(forKey: key), key)
        }
    }

    /// Runs `iterations` SGD iterations on `setup` (poly lr, group 1 at 10×) and the float64
    /// reference side by side; `conv1.weight` gets no fresh gradient in iteration 1 (zeroed only).
    private func runSGD(_ setup: SGDSetup, repetition: SGD.Repetition, listing: [ParameterID],
                        referenceK: (ParameterID) -> Int, iterations: Int = 3,
                        check: Bool = true) -> SGD {
        let store = setup.store
        let sgd = SGD(store: store, groups: setup.groups(listing: listing), momentum: 0.9,
                      weightDecay: 0.01, repetition: repetition)
        let schedule = PolySchedule(base: 0.05, maxIterations: 10, power: 0.9)
        var references: [ParameterID: SGDReference] = [:]
        for id in store.ids { references[id] = SGDReference(setup.initial[id]!) }
        var random = Random(state: 99)
        for iteration in 0..<iterations {
            store.zeroGradients()
            let lr = schedule.learningRate(at: iteration)
            sgd.setLearningRates([lr, lr * 10])
            var fresh: [ParameterID: [Float]] = [:]
            for id in setup.backbone + setup.classifier {
                let zeroed = iteration == 1 && store[id].name == "conv1.weight"
                let g = zeroed ? [Float](repeating: 0, count: store[id].count)
                               : random.values(store[id].count)
                if !zeroed { store.withGradient(id) { for i in g.indices { $0[i] += g[i] } } }
                fresh[id] = g
            }
            sgd.step()
            for id in setup.backbone + setup.classifier {
                let groupLR = setup.classifier.contains(id) ? lr * 10 : lr
                references[id]!.step(gradient: fresh[id]!, listed: referenceK(id), lr: groupLR,
                                     momentum: 0.9, weightDecay: 0.01)
                if check {
                    let name = store[id].name
                    assertClose(values(store, id), references[id]!.weight, tolerance: 2e-6,
                                "iteration \(iteration) \(name) value")
                    assertClose(gradient(store, id), references[id]!.gradient, tolerance: 2e-6,
                                "iteration \(iteration) \(name) accumulated gradient")
                }
            }
        }
        return sgd
    }

    func testRepeatedListingMatchesInPlaceWeightDecayReference() {
        let setup = SGDSetup(seed: 1)
        let listing = SGD.upstreamBackboneListing(setup.backbone, in: setup.store)
        XCTAssertEqual(listing.count, 1 + 3 + 4)
        let sgd = runSGD(setup, repetition: .repeated, listing: listing) {
            setup.backbone.contains($0) ? SGD.listingCount(forKey: setup.store[$0].name) : 1
        }
        // The parameter that never received a gradient: untouched, no momentum buffer.
        XCTAssertEqual(values(setup.store, setup.silent), setup.initial[setup.silent]!)
        XCTAssertEqual(gradient(setup.store, setup.silent), [0, 0, 0, 0])
        XCTAssertFalse(sgd.hasMomentumBuffer(setup.silent))
        XCTAssertTrue(sgd.hasMomentumBuffer(setup.backbone[0]))
    }

    func testSingleModeUpdatesEachParameterOnce() {
        let setup = SGDSetup(seed: 2)
        let listing = SGD.upstreamBackboneListing(setup.backbone, in: setup.store)
        _ = runSGD(setup, repetition: .single, listing: listing) { _ in 1 }
        XCTAssertEqual(values(setup.store, setup.silent), setup.initial[setup.silent]!)
    }

    func testRepeatedWithOneListingEqualsSingleMode() {
        let repeated = SGDSetup(seed: 3), single = SGDSetup(seed: 3)
        _ = runSGD(repeated, repetition: .repeated, listing: repeated.backbone) { _ in 1 }
        _ = runSGD(single, repetition: .single,
                   listing: SGD.upstreamBackboneListing(single.backbone, in: single.store)) { _ in 1 }
        for (a, b) in zip(repeated.store.ids, single.store.ids) {
            XCTAssertEqual(values(repeated.store, a), values(single.store, b), repeated.store[a].name)
        }
    }

    func testRepeatedAndSingleDifferWhenListedSeveralTimes() {
        let repeated = SGDSetup(seed: 4), single = SGDSetup(seed: 4)
        let listing = SGD.upstreamBackboneListing(repeated.backbone, in: repeated.store)
        _ = runSGD(repeated, repetition: .repeated, listing: listing, referenceK: { _ in 1 },
                   check: false)
        _ = runSGD(single, repetition: .single, listing: listing, referenceK: { _ in 1 },
                   check: false)
        for id in repeated.store.ids {
            let k = repeated.backbone.contains(id) ? SGD.listingCount(forKey: repeated.store[id].name) : 1
            let a = values(repeated.store, id), b = values(single.store, id)
            let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            if k > 1 {
                XCTAssertGreaterThan(diff, 1e-3, "\(repeated.store[id].name) k=\(k)")
            } else {
                XCTAssertEqual(diff, 0, "\(repeated.store[id].name) k=\(k)")
            }
        }
    }

    func testRepetitionAuto() {
        XCTAssertEqual(SGD.Repetition.auto(amp: false), .repeated)
        XCTAssertEqual(SGD.Repetition.auto(amp: true), .single)
    }

    func testSGDStateRoundTrip() throws {
        let a = SGDSetup(seed: 5), b = SGDSetup(seed: 5)
        let listing = SGD.upstreamBackboneListing(a.backbone, in: a.store)
        let first = runSGD(a, repetition: .repeated, listing: listing, referenceK: { _ in 1 },
                           iterations: 2, check: false)
        let state = first.exportState()
        XCTAssertEqual(state.tensors.map(\.name), (a.backbone + a.classifier).map {
            a.store[$0].name + ".momentum_buffer"
        })
        // Copy the values and import the state into a fresh optimizer over a second store.
        for (x, y) in zip(a.store.ids, b.store.ids) {
            let v = values(a.store, x)
            b.store.withValues(y) { for i in v.indices { $0[i] = v[i] } }
            if a.store.hasReceivedGradient(x) { b.store.markGradientReceived(y) }
        }
        let second = SGD(store: b.store, groups: b.groups(listing: listing), weightDecay: 0.01)
        try second.importState(state)
        XCTAssertEqual(second.exportState(), state)
        for sgd in [first, second] {
            let store = sgd.store
            store.zeroGradients()
            var random = Random(state: 7)
            for id in store.ids where store.hasReceivedGradient(id) {
                let g = random.values(store[id].count)
                store.withGradient(id) { for i in g.indices { $0[i] = g[i] } }
            }
            sgd.setLearningRates([0.01, 0.1])
            sgd.step()
        }
        for (x, y) in zip(a.store.ids, b.store.ids) {
            XCTAssertEqual(values(a.store, x), values(b.store, y), a.store[x].name)
        }
    }

    func testSGDImportRejectsBadState() {
        let setup = SGDSetup(seed: 6)
        let sgd = SGD(store: setup.store, groups: setup.groups(listing: setup.backbone))
        let unknown = OptimizerState(tensors: [.init(name: "nope.weight.momentum_buffer", shape: [1], values: [0])])
        XCTAssertThrowsError(try sgd.importState(unknown)) {
            XCTAssertEqual($0 as? OptimizerError,
                           .unknownParameter(entry: "nope.weight.momentum_buffer", parameter: "nope.weight"))
        }
        let shape = OptimizerState(tensors: [.init(name: "conv1.weight.momentum_buffer", shape: [12],
                                                   values: Array(repeating: 0, count: 12))])
        XCTAssertThrowsError(try sgd.importState(shape)) {
            XCTAssertEqual($0 as? OptimizerError,
                           .shapeMismatch(entry: "conv1.weight.momentum_buffer", expected: [4, 3], got: [12]))
        }
        let field = OptimizerState(tensors: [.init(name: "conv1.weight.exp_avg", shape: [4, 3],
                                                   values: Array(repeating: 0, count: 12))])
        XCTAssertThrowsError(try sgd.importState(field))
        XCTAssertFalse(sgd.hasMomentumBuffer(setup.backbone[0]))
    }

    // MARK: Adam

    func testAdamMatchesReferenceWithRepeatedStepsAndSkips() {
        let store = ParameterStore()
        var random = Random(state: 11)
        let weight = store.register(name: "conv1.weight", shape: [4, 3])
        let bias = store.register(name: "conv1.bias", shape: [4])
        let silent = store.register(name: "classifier.weight", shape: [2])
        var references: [ParameterID: AdamReference] = [:]
        for id in store.ids {
            let v = random.values(store[id].count)
            store.withValues(id) { for i in v.indices { $0[i] = v[i] } }
            references[id] = AdamReference(v)
        }
        let initialSilent = values(store, silent)
        let adam = Adam(store: store, learningRate: 0, betas: (0.9, 0.99), eps: 1e-8)
        let schedule = PolySchedule(base: 1e-2, maxIterations: 10, power: 0.9)
        let stepsPerIteration = 2   // Baseline with T = 2 (spec §5.1 step 5)
        for iteration in 0..<3 {
            store.zeroGradients()
            adam.learningRate = schedule.learningRate(at: iteration)
            var fresh: [ParameterID: [Float]] = [:]
            for id in [weight, bias] {
                // conv1.bias: a gradient in iteration 0 only, zeroed afterwards (still stepped).
                let g = (id == bias && iteration > 0) ? [Float](repeating: 0, count: 4)
                                                       : random.values(store[id].count)
                if !(id == bias && iteration > 0) {
                    store.withGradient(id) { for i in g.indices { $0[i] += g[i] } }
                }
                fresh[id] = g
            }
            for _ in 0..<stepsPerIteration {
                adam.step()
                for id in [weight, bias] {
                    references[id]!.step(gradient: fresh[id]!, lr: adam.learningRate)
                }
            }
            for id in [weight, bias] {
                assertClose(values(store, id), references[id]!.weight, tolerance: 2e-6,
                            "iteration \(iteration) \(store[id].name)")
            }
        }
        XCTAssertEqual(adam.stepCount(weight), 6)
        XCTAssertEqual(adam.stepCount(bias), 6)
        XCTAssertEqual(adam.stepCount(silent), 0)
        XCTAssertEqual(values(store, silent), initialSilent)
    }

    func testAdamAddsEpsAfterBiasCorrection() {
        // g = 1e-8 at t = 1: m = 1e-9, √v = 1e-9, denom = 1e-9/√0.01 + 1e-8 = 2e-8, so
        // Δp = −lr/0.1 · 1e-9/2e-8 = −0.5·lr (eps before the division would give −lr/11).
        let store = ParameterStore()
        let p = store.register(name: "w", shape: [1])
        store.withGradient(p) { $0[0] = 1e-8 }
        let adam = Adam(store: store, learningRate: 1e-3)
        adam.step()
        XCTAssertEqual(values(store, p)[0], -0.5e-3, accuracy: 1e-8)
    }

    /// Spec §4.6, "Comparing Adam-stepped weights": the two observations of an ill-conditioned
    /// element — its first step below 95 % of lr, its bias-corrected second moment below 19·eps —
    /// agree after one real Adam step, on both sides of the bound and at g = 0.
    func testAdamConditioningObservationsAgree() throws {
        let multiples: [Float] = [0, 0.5, 5, 15, 18, 20, 25, 50, 200]
        let store = ParameterStore()
        let p = store.register(name: "w", shape: [multiples.count])
        store.withGradient(p) { for i in multiples.indices { $0[i] = multiples[i] * Float(Adam.mtafEps) } }
        let lr: Float = 1e-3
        let adam = Adam(store: store, learningRate: Double(lr))
        adam.step()
        let state = adam.exportState()
        let v = try XCTUnwrap(state.tensors.first { $0.name == "w.exp_avg_sq" }).values
        let steps = try XCTUnwrap(state.counters.first { $0.name == "w.step" }).value
        let moved = values(store, p)
        for (i, k) in multiples.enumerated() {
            let fromStep = AdamConditioning.isIllConditioned(firstStep: abs(moved[i]), learningRate: lr, steps: 1)
            let fromState = AdamConditioning.isIllConditioned(secondMoment: v[i], steps: Int64(steps))
            XCTAssertEqual(fromStep, fromState, "g = \(k)·eps")
            XCTAssertEqual(fromStep, k > 0 && Double(k) < AdamConditioning.gradientBound, "g = \(k)·eps")
        }
    }

    func testAdamStateRoundTrip() throws {
        func make() -> (ParameterStore, Adam) {
            let store = ParameterStore()
            var random = Random(state: 21)
            for (key, count) in [("a.weight", 6), ("a.bias", 2), ("b.weight", 3)] {
                let id = store.register(name: key, shape: [count])
                let v = random.values(count)
                store.withValues(id) { for i in v.indices { $0[i] = v[i] } }
            }
            return (store, Adam(store: store, learningRate: 1e-3))
        }
        func iterate(_ store: ParameterStore, _ adam: Adam, seed: UInt64) {
            var random = Random(state: seed)
            store.zeroGradients()
            for id in store.ids where store[id].name != "b.weight" {
                let g = random.values(store[id].count)
                store.withGradient(id) { for i in g.indices { $0[i] = g[i] } }
            }
            adam.step()
        }
        let (s1, a1) = make(), (s2, a2) = make()
        iterate(s1, a1, seed: 1)
        iterate(s1, a1, seed: 2)
        let state = a1.exportState()
        XCTAssertEqual(state.counters, [.init(name: "a.weight.step", value: 2), .init(name: "a.bias.step", value: 2)])
        XCTAssertEqual(state.tensors.map(\.name),
                       ["a.weight.exp_avg", "a.weight.exp_avg_sq", "a.bias.exp_avg", "a.bias.exp_avg_sq"])
        for (x, y) in zip(s1.ids, s2.ids) {
            let v = values(s1, x)
            s2.withValues(y) { for i in v.indices { $0[i] = v[i] } }
        }
        try a2.importState(state)
        XCTAssertEqual(a2.exportState(), state)
        iterate(s1, a1, seed: 3)
        iterate(s2, a2, seed: 3)
        for (x, y) in zip(s1.ids, s2.ids) { XCTAssertEqual(values(s1, x), values(s2, y)) }
        XCTAssertEqual(a2.stepCount(s2.ids[0]), 3)

        var incomplete = state
        incomplete.counters.removeLast()
        XCTAssertThrowsError(try a2.importState(incomplete)) {
            XCTAssertEqual($0 as? OptimizerError,
                           .incompleteState(parameter: "a.bias", missing: "a.bias.step"))
        }
        XCTAssertEqual(a2.stepCount(s2.ids[1]), 3)   // unchanged by the failed import
    }

    // MARK: Poly schedule

    func testPolySchedule() {
        let schedule = PolySchedule(base: 2.5e-4, maxIterations: 250_000, power: 0.9)
        XCTAssertEqual(schedule.learningRate(at: 0), 2.5e-4)
        XCTAssertEqual(schedule.learningRate(at: 119_999) / 2.5e-4, 0.55514, accuracy: 1e-5)
        XCTAssertEqual(schedule.learningRate(at: 250_000), 0)
        // Python: 0.01 * ((1 - 3 / 10) ** 0.9)
        XCTAssertEqual(PolySchedule.lrPoly(base: 0.01, iteration: 3, maxIterations: 10, power: 0.9),
                       0.01 * pow(0.7, 0.9))
    }
}
