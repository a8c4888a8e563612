// What every framework of spec §5 offers the trainer loop, and the common skeleton's steps 1 and
// 4 (zero gradients and set the poly LRs; synchronize, SGD step, then the discriminators' Adam
// steps in the framework's order).

/// One training iteration of a framework of spec §5, on a `TrainingState`.
public protocol TrainingFramework: AnyObject {
    /// The state it updates (segmenter, discriminators, optimizers, iteration).
    var state: TrainingState { get }
    /// The collective seams (local in a world of one).
    var synchronization: TrainingSynchronization { get }

    /// Runs iteration `state.iteration` on `batch` exactly as spec §5 writes it (zero gradients,
    /// poly LRs, generator and discriminator phases, SGD step, Adam steps), then advances
    /// `state.iteration`.
    ///
    /// - Parameter batch: the source batch and one batch per target.
    /// - Returns: the iteration's losses under upstream's names, in its print order (spec §5.5).
    /// - Throws: `TrainingError` for a batch that does not fit, or a synchronization error.
    func trainIteration(on batch: TrainingBatch) throws -> IterationLosses
}

/// Builds the framework object of a state.
public enum TrainingFrameworks {
    /// The framework `state.framework` names, running on `state` (the only way to build one, so
    /// a framework always gets a state of its own kind).
    ///
    /// - Parameters:
    ///   - state: the training state.
    ///   - synchronization: the collective seams (nil: a world of one).
    public static func make(_ state: TrainingState,
                            synchronization: TrainingSynchronization? = nil) throws -> any TrainingFramework {
        let synchronization = try synchronization ?? .local(targetCount: state.hyperParameters.targetCount)
        synchronization.batchNormStatistics.prepare(state.segmenter.batchNormLayers)
        return switch state.framework {
        case .sourceOnly: SourceOnlyFramework(state: state, synchronization: synchronization)
        case .baseline: BaselineFramework(state: state, synchronization: synchronization)
        case .minEnt: MinEntFramework(state: state, synchronization: synchronization)
        case .mdis: MDisFramework(state: state, synchronization: synchronization)
        case .mtkt: MTKTFramework(state: state, synchronization: synchronization)
        }
    }
}

extension TrainingFramework {
    /// T.
    var targetCount: Int { state.hyperParameters.targetCount }

    /// Whether the aux level exists (MULTI_LEVEL).
    var multiLevel: Bool { state.hyperParameters.multiLevel }

    /// This rank's share (every target, no scaling, in a world of one). Architecture §3.2.
    var placement: TrainingPlacement { synchronization.placement }

    /// Spec §5 step 1: checks the batch, zeroes every gradient, sets the poly LRs (§4.5).
    func beginIteration(_ batch: TrainingBatch) throws {
        try batch.validate(targetCount: state.framework.readsTargetData ? targetCount : 0, hosted: placement.hostedTargets)
        try state.setLearningRates()
        state.zeroGradients()
    }

    /// A segmenter pass (spec §5 "seg pass") on the source batch or target t's.
    func segmenterPass(_ images: Tensor, _ kind: SegmenterPassKind, heads: [Int]? = nil) -> SegmenterPass {
        SegmenterPass(state.segmenter, images: images, kind: kind, heads: heads,
                      statistics: synchronization.batchNormStatistics)
    }

    /// A segmenter pass's backward. The rank's last one of the iteration runs through the
    /// gradient synchronizer, which sends finished gradients while it runs (architecture §3.6).
    func backward(_ pass: SegmenterPass, isFinal: Bool) throws {
        try synchronization.gradients.segmenterBackward(of: state, pass: pass.kind, isFinal: isFinal) { pass.backward() }
    }

    /// Spec §5 step 4 (and the end of step 5's bookkeeping): BN statistics and gradients
    /// synchronized, one SGD step of the segmenter, then the Adam steps in the given order
    /// (a discriminator may appear several times: the Baseline steps each T times); then the
    /// iteration counter advances.
    ///
    /// - Parameter adamSteps: the discriminators to step, in order.
    func finishIteration(adamSteps: [DiscriminatorRole]) throws {
        try synchronization.batchNormStatistics.passesDidFinish(layers: state.segmenter.batchNormLayers)
        try synchronization.gradients.synchronizeGradients(of: state)
        state.segmenterOptimizer.step()
        let placement = placement
        for role in adamSteps where placement.hosts(role) { state.requiredDiscriminator(role).optimizer.step() }
        state.iteration += 1
    }

    /// The losses in the framework's print order (spec §5.5); a name without a value is 0.
    func reportedLosses(_ values: [String: Double]) -> IterationLosses {
        IterationLosses(state.framework.lossNames.map { (name: $0, value: values[$0] ?? 0) })
    }

    /// The merged losses in the framework's print order (spec §5.5; architecture §4.2 for a distributed
    /// run: every rank returns the same line).
    func reportedLosses(_ record: LossRecord) throws -> IterationLosses {
        reportedLosses(try synchronization.merge(record, names: state.framework.lossNames))
    }

    /// The model of the discriminator of `role`.
    func discriminator(_ role: DiscriminatorRole) -> FCDiscriminator {
        state.requiredDiscriminator(role).model
    }
}
