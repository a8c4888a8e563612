// MTAF's Baseline (upstream `train_advent`): the targets share one D_main and one D_aux. With
// T = 1 it is ADVENT's AdvEnt (spec §5.4).
//
// Sizes: T targets; source and target predictions [N, C, H, W] at their batch's input size;
// self-information maps the same; discriminator outputs [N, 1, ⌊H/32⌋, ⌊W/32⌋].

/// One Baseline iteration, spec §5.1:
/// 1. Source seg pass: λ_SEG_MAIN·CE(M_s, y_s) + λ_SEG_AUX·CE(A_s, y_s); backward.
/// 2. For each target t: seg pass; λ_ADV_MAIN·BCE(D_main(I(M_t)), 0) + λ_ADV_AUX·BCE(D_aux(I(A_t)), 0)
///    with both discriminators frozen; backward. Keep I(A_t), I(M_t).
/// 3. Source, detached, T times: BCE(D_aux(I(A_s)), 0)/(1 + T), then T times BCE(D_main(I(M_s)), 0)/2.
/// 4. Each target, detached: BCE(D_aux(I(A_t)), 1)/2; BCE(D_main(I(M_t)), 1)/2.
/// 5. SGD step; then T times: Adam step of D_aux, Adam step of D_main.
/// Aux terms are absent without MULTI_LEVEL. Reported: `loss_seg_src_aux`, `loss_seg_src_main`,
/// `loss_adv_trg_aux`, `loss_adv_trg_main`, `loss_d_aux`, `loss_d_main` (last target's; the
/// discriminator losses after their /2). Spec §5.1, §5.4 (upstream `train_advent`).
///
/// Distributed (architecture §3.3): the pair is shared; the source terms run on the last rank (replicate) or
/// on every rank ×1/N (shard), the hosted targets' terms ×1/k_t; the allreduce sums.
public final class BaselineFramework: TrainingFramework {
    public let state: TrainingState
    public let synchronization: TrainingSynchronization

    /// - Parameters:
    ///   - state: a `.baseline` state.
    ///   - synchronization: the collective seams.
    init(state: TrainingState, synchronization: TrainingSynchronization) {
        self.state = state
        self.synchronization = synchronization
    }

    public func trainIteration(on batch: TrainingBatch) throws -> IterationLosses {
        let hp = state.hyperParameters
        let t = targetCount
        let placement = placement
        let hosted = placement.hostedTargets
        let sourceScale = placement.sourceScale
        let dMain = discriminator(.main), dAux = discriminator(.aux)
        var losses = LossRecord()

        // Skeleton step 1: zero every gradient; set the poly LRs.
        try beginIteration(batch)

        // 1. Source: CE at both levels, one backward; keep I(A_s), I(M_s). (Architecture §3.3: one rank
        //    in replicate mode, ×1/N in shard mode.)
        let source = try sourceSegmentationStep(batch, keepMaps: true, scale: sourceScale)
        if sourceScale != nil {
            losses.set("loss_seg_src_aux", source.lossAux)
            losses.set("loss_seg_src_main", source.lossMain)
        }

        // 2. Each (hosted) target: fool the (frozen) discriminators into "source" (label 0); one
        //    backward. (×1/k_t, architecture §3.3.)
        var targetAuxMaps: [Int: Tensor] = [:]
        var targetMainMaps: [Int: Tensor] = [:]
        for target in hosted {
            let scale = placement.targetScale(target)
            let pass = segmenterPass(batch.targetImages[target], .target(target))
            if let aux = pass.auxPrediction() {
                let map = SelfInformationMap(aux)
                losses.set("loss_adv_trg_aux", AdversarialTerm.fool(dAux, map: map, label: 0,
                                                                    weight: Float(hp.lambdaAdvAux) * scale),
                           target: target)
                map.backward(into: aux)
                targetAuxMaps[target] = map.map
            }
            let main = pass.mainPrediction()
            let map = SelfInformationMap(main)
            losses.set("loss_adv_trg_main", AdversarialTerm.fool(dMain, map: map, label: 0,
                                                                 weight: Float(hp.lambdaAdvMain) * scale),
                       target: target)
            map.backward(into: main)
            targetMainMaps[target] = map.map
            try backward(pass, isFinal: target == hosted.last)
        }

        // 3. Source, detached: the same term T times per discriminator (one backward with the
        //    factor T: the T repeated gradients are equal), /(1 + T) at aux level, /2 at main.
        // The pair is shared by the world: each term is a contribution of its canonical sum.
        let gradients = synchronization.gradients
        if let sourceScale {
            if let auxMap = source.auxMap {
                _ = gradients.discriminatorBackward(of: state, role: .aux, contribution: .source) {
                    AdversarialTerm.train(dAux, map: auxMap, label: 0, scale: Float(t) / Float(1 + t) * sourceScale)
                }
            }
            _ = gradients.discriminatorBackward(of: state, role: .main, contribution: .source) {
                AdversarialTerm.train(dMain, map: source.mainMap!, label: 0, scale: Float(t) / 2 * sourceScale)
            }
        }

        // 4. Each (hosted) target, detached: label 1 ("target"), /2 at both levels.
        for target in hosted {
            let scale = 0.5 * placement.targetScale(target)
            if let auxMap = targetAuxMaps[target] {
                let loss = gradients.discriminatorBackward(of: state, role: .aux, contribution: .target(target)) {
                    AdversarialTerm.train(dAux, map: auxMap, label: 1, scale: scale)
                }
                losses.set("loss_d_aux", loss / 2, target: target)
            }
            let loss = gradients.discriminatorBackward(of: state, role: .main, contribution: .target(target)) {
                AdversarialTerm.train(dMain, map: targetMainMaps[target]!, label: 1, scale: scale)
            }
            losses.set("loss_d_main", loss / 2, target: target)
        }

        // 5. SGD step; then T times: Adam of D_aux (a no-op without multi-level: no gradient),
        //    Adam of D_main, each on the same accumulated gradients.
        try finishIteration(adamSteps: Array(repeating: [DiscriminatorRole.aux, .main], count: t).flatMap { $0 })
        return try reportedLosses(losses)
    }
}
