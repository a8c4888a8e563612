// Training fixture runner: sidecars with a "framework" key (`baseline`, `mdis`, `mtkt`, `minent`,
// `source_only`). Everything comes from the case: `model`, `blocks`, `width`, `ndf`,
// `num_classes`, `num_targets`, `input_size_hw`, `iterations`, `discriminators` and the
// `hyper_parameters` object (LAMBDA_*, LEARNING_RATE(_D), MOMENTUM, WEIGHT_DECAY, POWER,
// MAX_ITERS, TEACHER_ITERS, MULTI_LEVEL, SGD_REPEAT; absent keys take MTAF's defaults).
// Tensors: initial weights `init.seg.<key>`, `init.<disc>.<key>`; batches
// `batch<k>.source.image` (F32 [N, 3, H, W]), `batch<k>.source.label` (I32 [N, H, W]),
// `batch<k>.target<t>.image`; results `expected.iter<k>.loss.<name>`,
// `expected.iter<k>.seg.<key>` (parameters and BN statistics), `expected.iter<k>.<disc>.<key>`.

import MTAFNet

/// Runs `iterations` iterations of a framework of spec §5 from the case's initial weights and
/// returns every loss, segmenter tensor and discriminator tensor after each iteration.
/// Spec §5 (upstream `train_advent`, `train_advent_mdis`, `train_advent_mtkt`, ADVENT's
/// `train_minent`; source-only is ours).
public enum TrainingFixtureRunner: FixtureRunner {
    public static func handles(_ fixture: Fixture) -> Bool {
        guard let name = try? fixture.string("framework") else { return false }
        return TrainingFrameworkKind(fixtureName: name) != nil
    }

    /// A chain of layers: bf16 deviations compound, no element bound (spec §4.13).
    public static func bf16Bound(_ fixture: Fixture) throws -> BF16Bound { .compound }

    /// Adam-ill-conditioned discriminator elements (`AdamConditioning`, spec §4.6), found from the
    /// case's own init and iteration-1 tensors, get 0.1·LEARNING_RATE_D; every other element keeps
    /// the sidecar's tolerance. They are ≈ 0.1 % of the discriminator scalars (OpenBLAS's thread
    /// count alone moves `train_mdis_T3`'s `d_target.2.0.weight[0, 6, 3, 0]` by 4.7× its tolerance).
    public static func allowances(_ fixture: Fixture) throws -> [String: ElementAllowance] {
        let lr = Float(try fixture.double("hyper_parameters.LEARNING_RATE_D"))
        let name = try fixture.string("framework")
        guard let kind = TrainingFrameworkKind(fixtureName: name) else {
            throw FixtureError.unsupported(file: fixture.path, reason: "unknown framework '\(name)'")
        }
        let steps = Float(kind.discriminatorStepsPerIteration(targetCount: try fixture.int("num_targets")))
        let iterations = try fixture.int("iterations")
        var result: [String: ElementAllowance] = [:]
        for disc in try fixture.stringArray("discriminators") {
            for key in fixture.keys where key.hasPrefix("expected.iter1.\(disc).") {
                let parameter = String(key.dropFirst("expected.iter1.".count))
                // Only the discriminator's own parameters (`d_main.1.2.weight` when disc is `d_main.1`).
                guard parameter.dropFirst(disc.count + 1).split(separator: ".").count == 2 else { continue }
                let before = try fixture.tensor("init.\(parameter)").scalars
                let after = try fixture.tensor(key).scalars
                let indices = Set((0..<before.count).filter { i in
                    AdamConditioning.isIllConditioned(firstStep: abs(after[i] - before[i]), learningRate: lr, steps: steps)
                })
                guard !indices.isEmpty else { continue }
                for k in 1...iterations {
                    result["expected.iter\(k).\(parameter)"] = ElementAllowance(
                        indices: indices, tolerance: 0.1 * lr, reason: "Adam first step with |g| near eps")
                }
            }
        }
        return result
    }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        try run(fixture, adjusting: { _ in })
    }

    /// Runs the case with its hyper-parameters changed by `adjust` (for tests showing that the
    /// cases tell a changed weight or mode apart).
    static func run(_ fixture: Fixture,
                    adjusting adjust: (inout TrainingHyperParameters) -> Void) throws -> [String: Tensor] {
        let name = try fixture.string("framework")
        guard let kind = TrainingFrameworkKind(fixtureName: name) else {
            throw FixtureError.unsupported(file: fixture.path, reason: "unknown framework '\(name)'")
        }
        let model = try fixture.string("model")
        guard model == kind.modelName else {
            throw FixtureError.unsupported(file: fixture.path, reason: "framework \(name) runs on \(kind.modelName), not \(model)")
        }
        var hyperParameters = try Self.hyperParameters(fixture)
        adjust(&hyperParameters)
        let iterations = try fixture.int("iterations")
        let inputSize = try fixture.intArray("input_size_hw")
        guard iterations >= 1, inputSize.count == 2 else {
            throw FixtureError.unsupported(file: fixture.path, reason: "iterations \(iterations), input_size_hw \(inputSize)")
        }
        let state: TrainingState
        do {
            state = try TrainingState.initialized(framework: kind, hyperParameters: hyperParameters,
                                                  blocks: try fixture.intArray("blocks"), width: try fixture.int("width"),
                                                  ndf: try fixture.int("ndf"), random: RandomStream(seed: 0))
        } catch let error as TrainingError {
            throw FixtureError.unsupported(file: fixture.path, reason: error.description)
        }

        // Initial weights: the segmenter, every discriminator the case names (one the framework
        // does not train, e.g. MinEnt's, is loaded as is and must come out unchanged).
        try ModelFixtureSupport.loadStateDict(fixture, prefix: "init.seg.", into: state.segmenter.stateDict)
        var discriminators: [(name: String, stateDict: StateDict)] = []
        let names = try fixture.stringArray("discriminators")
        for disc in names {
            guard let role = DiscriminatorRole(key: disc) else {
                throw FixtureError.unsupported(file: fixture.path, reason: "discriminator name '\(disc)'")
            }
            let stateDict: StateDict
            if let slot = state.discriminator(role) {
                stateDict = slot.model.stateDict
            } else {
                stateDict = FCDiscriminator(inChannels: hyperParameters.classes, ndf: try fixture.int("ndf"),
                                            random: RandomStream(seed: 0)).stateDict
            }
            try ModelFixtureSupport.loadStateDict(fixture, prefix: "init.\(disc).", into: stateDict)
            discriminators.append((disc, stateDict))
        }
        for slot in state.discriminators where !names.contains(slot.key) {
            throw FixtureError.unsupported(file: fixture.path,
                                           reason: "framework \(name) needs discriminator '\(slot.key)', the case has \(names)")
        }

        let framework = try TrainingFrameworks.make(state)
        let targets = kind.readsTargetData ? hyperParameters.targetCount : 0
        var out: [String: Tensor] = [:]
        for k in 1...iterations {
            let batch = try Self.batch(fixture, k, targets: targets, inputSize: inputSize)
            let losses: IterationLosses
            do {
                losses = try framework.trainIteration(on: batch)
            } catch let error as TrainingError {
                throw FixtureError.unsupported(file: fixture.path, reason: "iteration \(k): \(error)")
            }
            for entry in losses.entries {
                out["expected.iter\(k).loss.\(entry.name)"] = Tensor(shape: [1], values: [Float(entry.value)])
            }
            save(state.segmenter.stateDict, prefix: "expected.iter\(k).seg.", into: &out)
            for (disc, stateDict) in discriminators {
                save(stateDict, prefix: "expected.iter\(k).\(disc).", into: &out)
            }
        }
        let wanted = Set(fixture.expectedKeys)
        return out.filter { wanted.contains($0.key) }
    }

    /// The case's hyper-parameters: top-level `num_classes`, `num_targets`, and the
    /// `hyper_parameters` object (absent keys: MTAF's defaults; SGD_REPEAT `auto` unless given,
    /// resolved from AMP, false unless given, spec §4.8).
    static func hyperParameters(_ fixture: Fixture) throws -> TrainingHyperParameters {
        var hp = TrainingHyperParameters(classes: try fixture.int("num_classes"),
                                         targetCount: try fixture.int("num_targets"))
        for (key, field) in TrainingHyperParameters.realFields where fixture.has("hyper_parameters.\(key)") {
            hp[keyPath: field] = try fixture.double("hyper_parameters.\(key)")
        }
        for (key, field) in TrainingHyperParameters.integerFields where fixture.has("hyper_parameters.\(key)") {
            hp[keyPath: field] = try fixture.int("hyper_parameters.\(key)")
        }
        if fixture.has("hyper_parameters.MULTI_LEVEL") {
            hp.multiLevel = try fixture.bool("hyper_parameters.MULTI_LEVEL")
        }
        let amp = fixture.has("hyper_parameters.AMP") ? try fixture.bool("hyper_parameters.AMP") : false
        let name = fixture.has("hyper_parameters.SGD_REPEAT") ? try fixture.string("hyper_parameters.SGD_REPEAT") : "auto"
        guard let mode = MTAFConfig.SGDRepeat(rawValue: name) else {
            throw FixtureError.wrongType(file: fixture.sidecarPath, key: "hyper_parameters.SGD_REPEAT",
                                         wanted: "auto, repeated or single")
        }
        hp.sgdRepetition = mode.repetition(amp: amp)
        return hp
    }

    /// Batch k: `batch<k>.source.image`, `batch<k>.source.label`, `batch<k>.target<t>.image`.
    static func batch(_ fixture: Fixture, _ k: Int, targets: Int, inputSize: [Int]) throws -> TrainingBatch {
        func image(_ key: String) throws -> Tensor {
            let tensor = try fixture.tensor(key)
            guard tensor.rank == 4, tensor.shape[1] == 3, Array(tensor.shape[2...]) == inputSize else {
                throw FixtureError.unsupported(file: fixture.path,
                                               reason: "tensor '\(key)' has shape \(tensor.shape), wanted [N, 3] + input_size_hw \(inputSize)")
            }
            return tensor
        }
        let source = try image("batch\(k).source.image")
        let labelKey = "batch\(k).source.label"
        let (labelShape, labels) = try fixture.int32s(labelKey)
        guard labelShape == [source.shape[0]] + inputSize else {
            throw FixtureError.unsupported(file: fixture.path, reason: "tensor '\(labelKey)' has shape \(labelShape)")
        }
        let targetImages = try (0..<targets).map { try image("batch\(k).target\($0).image") }
        return TrainingBatch(sourceImages: source, sourceLabels: labels, targetImages: targetImages)
    }

    /// Every entry of `stateDict` as `<prefix><key>`, as a checkpoint holds it
    /// (`ModelCheckpoint.tensors`; num_batches_tracked as a Float scalar).
    static func save(_ stateDict: StateDict, prefix: String, into out: inout [String: Tensor]) {
        for (key, value) in ModelCheckpoint.tensors(of: stateDict) {
            switch value {
            case let .f32(tensor):
                out[prefix + key] = tensor
            case let .i64(_, values):
                out[prefix + key] = Tensor(shape: [], values: [Float(values[0])])
            case .i32, .u8:
                preconditionFailure("a state dict holds Float32 tensors and int64 counters only")
            }
        }
    }
}
