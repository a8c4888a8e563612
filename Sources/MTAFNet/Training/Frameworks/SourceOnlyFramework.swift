// Source-only training (ours, spec §5.4): the lower bound of every table.

/// Source-only: step 1 of spec §5.1 and the SGD step; no target data, no discriminator.
///
/// 1. Zero gradients; poly LRs (§4.5).
/// 2. Source seg pass: λ_SEG_MAIN·CE(M_s, y_s) + λ_SEG_AUX·CE(A_s, y_s); backward.
/// 3. SGD step.
/// Reports `loss_seg_src_aux`, `loss_seg_src_main`. Spec §5.4 ("Source-only").
public final class SourceOnlyFramework: TrainingFramework {
    public let state: TrainingState
    public let synchronization: TrainingSynchronization

    /// - Parameters:
    ///   - state: a `.sourceOnly` state.
    ///   - synchronization: the collective seams.
    init(state: TrainingState, synchronization: TrainingSynchronization) {
        self.state = state
        self.synchronization = synchronization
    }

    public func trainIteration(on batch: TrainingBatch) throws -> IterationLosses {
        // 1. Zero every gradient; set the poly LRs.
        try beginIteration(batch)
        // 2. Source: CE at both levels, one backward.
        let source = try sourceSegmentationStep(batch, keepMaps: false)
        // 3. SGD step (no discriminator).
        try finishIteration(adamSteps: [])
        return reportedLosses(["loss_seg_src_aux": source.lossAux, "loss_seg_src_main": source.lossMain])
    }
}
