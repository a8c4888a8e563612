// ADVENT's MinEnt (upstream `train_minent`): entropy minimization on the target predictions, no
// discriminator. With several targets every target pass adds its entropy terms.
//
// Sizes: predictions [N, C, H, W] at their batch's input size.

/// One MinEnt iteration, spec §5.4:
/// 1. Source seg pass: λ_SEG_MAIN·CE(M_s, y_s) + λ_SEG_AUX·CE(A_s, y_s); backward.
/// 2. For each target t: seg pass; λ_ENT_AUX·E(softmax(A_t)) + λ_ENT_MAIN·E(softmax(M_t)) (E of
///    §4.9; the aux term is skipped without MULTI_LEVEL, spec §10); backward.
/// 3. SGD step.
/// Reported: `loss_seg_src_aux`, `loss_seg_src_main`, `loss_ent_aux`, `loss_ent_main`
/// (unweighted, last target's). Spec §5.4 (ADVENT `train_minent`).
public final class MinEntFramework: TrainingFramework {
    public let state: TrainingState
    public let synchronization: TrainingSynchronization

    /// - Parameters:
    ///   - state: a `.minEnt` state.
    ///   - synchronization: the collective seams.
    init(state: TrainingState, synchronization: TrainingSynchronization) {
        self.state = state
        self.synchronization = synchronization
    }

    public func trainIteration(on batch: TrainingBatch) throws -> IterationLosses {
        let hp = state.hyperParameters
        let placement = placement
        var losses = LossRecord()

        // Skeleton step 1: zero every gradient; set the poly LRs.
        try beginIteration(batch)

        // 1. Source: CE at both levels, one backward (architecture §3.3: the last rank in replicate mode, ×1/N
        //    in shard mode).
        let source = try sourceSegmentationStep(batch, keepMaps: false, scale: placement.sourceScale)
        if placement.sourceScale != nil {
            losses.set("loss_seg_src_aux", source.lossAux)
            losses.set("loss_seg_src_main", source.lossMain)
        }

        // 2. Each (hosted) target: entropy of both upsampled levels, one backward (×1/k_t).
        for target in placement.hostedTargets {
            let scale = placement.targetScale(target)
            let pass = segmenterPass(batch.targetImages[target], .target(target))
            if let aux = pass.auxPrediction() {
                losses.set("loss_ent_aux", aux.entropy(weight: Float(hp.lambdaEntAux) * scale), target: target)
            }
            losses.set("loss_ent_main", pass.mainPrediction().entropy(weight: Float(hp.lambdaEntMain) * scale),
                       target: target)
            try backward(pass, isFinal: target == placement.hostedTargets.last)
        }

        // 3. SGD step (no discriminator).
        try finishIteration(adamSteps: [])
        return try reportedLosses(losses)
    }
}
