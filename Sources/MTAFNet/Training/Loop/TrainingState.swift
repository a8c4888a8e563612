// Everything a training run updates and a snapshot must hold for an exact resume (spec §5.5,
// §10): the segmenter and its SGD, every discriminator with its Adam, and the iteration number.
// BatchNorm running statistics and num_batches_tracked live in the segmenter's state dict.

/// The state one framework iteration reads and updates. The trainer loop saves and restores it
/// through `segmenter.stateDict` (parameters, BN buffers, num_batches_tracked), each
/// discriminator's `model.stateDict`, the optimizers' `exportState()` / `importState(_:)`, and
/// `iteration`. Spec §2.7, §4.5, §4.6, §5.
public final class TrainingState {
    /// The framework this state belongs to.
    public let framework: TrainingFrameworkKind
    /// λs, learning rates, schedule, T, C.
    public let hyperParameters: TrainingHyperParameters
    /// The segmenter (DeepLab-v2, or its MTKT variant for MTKT).
    public let segmenter: Segmenter
    /// The segmenter's SGD: group 0 the backbone (upstream's repeated listing), group 1 the
    /// classifiers (spec §2.9, §4.6, §4.8).
    public let segmenterOptimizer: SGD
    /// The framework's discriminators in `framework.discriminatorRoles` order.
    public let discriminators: [TrainedDiscriminator]
    /// The next iteration to run, 0-based (the poly schedule's i, spec §4.5).
    public var iteration: Int

    private let indexByRole: [DiscriminatorRole: Int]

    /// Assembles a state from built models (weights already initialized or loaded).
    ///
    /// - Parameters:
    ///   - framework: the framework.
    ///   - hyperParameters: must agree with the models (classes, multi-level).
    ///   - segmenter: DeepLabv2MTKT with 1 + T heads for MTKT, DeepLabv2 otherwise.
    ///   - discriminators: exactly `framework.discriminatorRoles(targetCount: T)`, each with C
    ///     input channels.
    ///   - iteration: the next iteration (0 for a new run).
    /// - Throws: `TrainingError` naming the mismatch.
    public init(framework: TrainingFrameworkKind, hyperParameters: TrainingHyperParameters,
                segmenter: Segmenter, discriminators: [DiscriminatorRole: FCDiscriminator],
                iteration: Int = 0) throws(TrainingError) {
        try hyperParameters.validate()
        let t = hyperParameters.targetCount
        try framework.validate(targetCount: t)
        let configuration = segmenter.configuration
        switch segmenter {
        case .deepLabV2 where framework.usesMTKTModel, .deepLabV2MTKT where !framework.usesMTKTModel:
            throw .wrongModel(framework: framework.rawValue, model: segmenter.modelName, wanted: framework.modelName)
        default:
            break
        }
        if framework.usesMTKTModel && segmenter.headCount != 1 + t {
            throw .invalidHyperParameter(name: "TARGETS", value: "\(t)",
                                         reason: "the MTKT segmenter has \(segmenter.headCount) heads, wanted 1 + T")
        }
        guard configuration.classes == hyperParameters.classes else {
            throw .invalidHyperParameter(name: "NUM_CLASSES", value: "\(hyperParameters.classes)",
                                         reason: "the segmenter has \(configuration.classes) classes")
        }
        guard configuration.multiLevel == hyperParameters.multiLevel else {
            throw .invalidHyperParameter(name: "MULTI_LEVEL", value: "\(hyperParameters.multiLevel)",
                                         reason: "the segmenter is built with multi-level \(configuration.multiLevel)")
        }
        guard iteration >= 0 && iteration <= hyperParameters.maxIterations else {
            throw .iterationOutOfRange(iteration: iteration, maxIterations: hyperParameters.maxIterations)
        }
        let roles = framework.discriminatorRoles(targetCount: t)
        for role in roles where discriminators[role] == nil {
            throw .missingDiscriminator(framework: framework.rawValue, key: role.key)
        }
        if let extra = discriminators.keys.first(where: { !roles.contains($0) }) {
            throw .unexpectedDiscriminator(framework: framework.rawValue, key: extra.key)
        }
        for role in roles where discriminators[role]!.inChannels != hyperParameters.classes {
            throw .invalidHyperParameter(name: "NUM_CLASSES", value: "\(hyperParameters.classes)",
                                         reason: "discriminator '\(role.key)' takes \(discriminators[role]!.inChannels) channels")
        }
        self.framework = framework
        self.hyperParameters = hyperParameters
        self.segmenter = segmenter
        self.segmenterOptimizer = SGD(store: segmenter.parameters, groups: segmenter.sgdGroups(),
                                      momentum: hyperParameters.momentum,
                                      weightDecay: hyperParameters.weightDecay,
                                      repetition: hyperParameters.sgdRepetition)
        self.discriminators = roles.map { TrainedDiscriminator(role: $0, model: discriminators[$0]!) }
        self.indexByRole = Dictionary(uniqueKeysWithValues: roles.enumerated().map { ($1, $0) })
        self.iteration = iteration
    }

    /// A new run's state with upstream's random initialization (spec §2.8, §3): the segmenter
    /// from `random.split(index: 0)`, discriminator k (in role order) from `split(index: k + 1)`.
    ///
    /// - Parameters:
    ///   - framework: the framework.
    ///   - hyperParameters: λs, schedule, T, C, multi-level.
    ///   - blocks: ResNet blocks per stage ([3, 4, 23, 3] for ResNet-101).
    ///   - width: base width (64 for the real model, spec §2.11).
    ///   - ndf: discriminator base width (64 upstream).
    ///   - random: the run's stream.
    /// - Throws: `TrainingError` for a framework/targets mismatch or a bad hyper-parameter.
    public static func initialized(framework: TrainingFrameworkKind, hyperParameters: TrainingHyperParameters,
                                   blocks: [Int], width: Int, ndf: Int,
                                   random: RandomStream) throws(TrainingError) -> TrainingState {
        try hyperParameters.validate()
        try framework.validate(targetCount: hyperParameters.targetCount)
        guard blocks.count == 4, blocks.allSatisfy({ $0 >= 1 }) else {
            throw .invalidHyperParameter(name: "MODEL_BLOCKS", value: "\(blocks)", reason: "four stages of at least one block")
        }
        guard width >= 1 else { throw .invalidHyperParameter(name: "MODEL_WIDTH", value: "\(width)", reason: "must be positive") }
        guard ndf >= 1 else { throw .invalidHyperParameter(name: "DISCRIMINATOR_NDF", value: "\(ndf)", reason: "must be positive") }
        let configuration = DeepLabV2Configuration(blocks: blocks, width: width, classes: hyperParameters.classes,
                                                   multiLevel: hyperParameters.multiLevel)
        let segmenter: Segmenter = framework.usesMTKTModel
            ? .deepLabV2MTKT(DeepLabV2MTKT(configuration, heads: 1 + hyperParameters.targetCount,
                                           random: random.split(index: 0)))
            : .deepLabV2(DeepLabV2(configuration, random: random.split(index: 0)))
        var discriminators: [DiscriminatorRole: FCDiscriminator] = [:]
        for (k, role) in framework.discriminatorRoles(targetCount: hyperParameters.targetCount).enumerated() {
            discriminators[role] = FCDiscriminator(inChannels: hyperParameters.classes, ndf: ndf,
                                                   random: random.split(index: k + 1))
        }
        return try TrainingState(framework: framework, hyperParameters: hyperParameters, segmenter: segmenter,
                                 discriminators: discriminators)
    }

    /// The discriminator of `role`, or nil when the framework has none.
    public func discriminator(_ role: DiscriminatorRole) -> TrainedDiscriminator? {
        indexByRole[role].map { discriminators[$0] }
    }

    /// The discriminator of `role`; the framework guarantees it exists (checked at `init`).
    func requiredDiscriminator(_ role: DiscriminatorRole) -> TrainedDiscriminator {
        guard let slot = discriminator(role) else {
            preconditionFailure("TrainingState: \(framework) has no discriminator '\(role.key)'")
        }
        return slot
    }

    /// Spec §5 step 1: zeroes every gradient (segmenter and discriminators), keeping the
    /// "received" flags like PyTorch 1.3.1's `zero_grad` (spec §4.6).
    public func zeroGradients() {
        segmenter.parameters.zeroGradients()
        for slot in discriminators { slot.model.parameters.zeroGradients() }
    }

    /// Spec §5 step 1: sets the poly learning rates of `iteration` (spec §4.5).
    ///
    /// - Throws: `TrainingError.iterationOutOfRange` past MAX_ITERS.
    public func setLearningRates() throws(TrainingError) {
        guard iteration >= 0 && iteration <= hyperParameters.maxIterations else {
            throw .iterationOutOfRange(iteration: iteration, maxIterations: hyperParameters.maxIterations)
        }
        segmenterOptimizer.setLearningRates(hyperParameters.segmenterLearningRates(at: iteration))
        let lrD = hyperParameters.discriminatorLearningRate(at: iteration)
        for slot in discriminators { slot.optimizer.learningRate = lrD }
    }

    /// After restoring optimizer state into a freshly built state: marks every parameter that
    /// has optimizer state (a momentum buffer, an Adam step) as having received a gradient, so
    /// the next step treats it as PyTorch would after those steps (spec §4.6 step 1; a
    /// parameter without state stays "never received", e.g. an MTKT student during warm-up).
    public func restoreGradientFlagsFromOptimizerState() {
        let store = segmenter.parameters
        for id in store.ids where segmenterOptimizer.hasMomentumBuffer(id) {
            store.markGradientReceived(id)
        }
        for slot in discriminators {
            for id in slot.model.parameterIDs where slot.optimizer.stepCount(id) > 0 {
                slot.model.parameters.markGradientReceived(id)
            }
        }
    }
}
