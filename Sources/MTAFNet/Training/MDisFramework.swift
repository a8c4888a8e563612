// MTAF's Multi-Discriminator framework (upstream `train_advent_mdis`): one source-vs-target
// discriminator pair per target, plus target-vs-target discriminators (one pair for T = 2, one
// pair per target for T > 2), with decision (a) of spec §5.2.
//
// Sizes: T ≥ 2 targets; predictions and self-information maps [N, C, H, W] at their batch's
// input size; discriminator outputs [N, 1, ⌊H/32⌋, ⌊W/32⌋].

/// One MDis iteration, spec §5.2:
/// 1. Source seg pass: λ_SEG_MAIN·CE(M_s, y_s) + λ_SEG_AUX·CE(A_s, y_s); backward.
/// 2. For each target i: seg pass; λ_ADV_MAIN·BCE(D_main,i(I(M_i)), 0) + λ_ADV_AUX·BCE(D_aux,i(I(A_i)), 0)
///    + λ_ADV_MAIN·G_main,i + λ_ADV_AUX·G_aux,i, all discriminators frozen; backward. T = 2:
///    G_i = BCE(D_tgt(I(M_i)), 1 − i) (aux: D_tgt,aux); T > 2: G_i = (1/(T−1))·Σ_{j≠i} BCE(D_tgt,j(I(M_i)), 0).
/// 3. Source, detached: for each i BCE(D_aux,i(I(A_s)), 0)/(1 + T); then for each i BCE(D_main,i(I(M_s)), 0)/2.
/// 4. For each target i, detached: (a) BCE(D_aux,i(I(A_i)), 1)/2; (b) the aux target
///    discriminators: T = 2 BCE(D_tgt,aux(I(A_i)), i)/2; T > 2 for every j BCE(D_tgt,aux,j(I(A_i)), 0)/2
///    if j = i else BCE(…, 1)/(2(T−1)) — with D_tgt,aux,j itself (decision (a)); (c) BCE(D_main,i(I(M_i)), 1)/2;
///    (d) the main target discriminators likewise.
/// 5. SGD step; for each i Adam of D_aux,i and D_main,i; then T > 2: for each j D_tgt,aux,j then
///    D_tgt,j; T = 2: D_tgt then D_tgt,aux.
/// Aux terms are absent without MULTI_LEVEL. Reported: `loss_seg_src_aux`, `loss_seg_src_main`,
/// `loss_adv_trg_aux`, `loss_adv_trg_main` (last target's, without the G terms), `loss_d_aux`,
/// `loss_d_main` (last target's, after /2). Spec §5.2, §10 (upstream `train_advent_mdis`).
///
/// Distributed (architecture §3.4): the segmenter is shared (source CE on the last rank, or ×1/N in shard
/// mode); D_main,i and D_aux,i live on target i's group, the target-vs-target discriminators on
/// their target's group (T = 2: target 0's); the G terms and (b)/(d) go through the map
/// exchange of `trainDistributedIteration` (MDisFramework+Exchange.swift).
public final class MDisFramework: TrainingFramework {
    public let state: TrainingState
    public let synchronization: TrainingSynchronization

    /// - Parameters:
    ///   - state: an `.mdis` state (T ≥ 2).
    ///   - synchronization: the collective seams (default: one process).
    public init(state: TrainingState, synchronization: TrainingSynchronization = .local()) {
        precondition(state.framework == .mdis, "MDisFramework: state of \(state.framework)")
        self.state = state
        self.synchronization = synchronization
        synchronization.batchNormStatistics.prepare(state.segmenter.batchNormLayers)
    }

    /// One level's discriminators: source-vs-target per target and the target-vs-target ones.
    private struct Level {
        /// D_main,i or D_aux,i.
        var sourceVsTarget: [FCDiscriminator]
        /// T = 2: [D_tgt] (or [D_tgt,aux]); T > 2: D_tgt,j (or D_tgt,aux,j) for each j.
        var targetVsTarget: [FCDiscriminator]
        /// λ_ADV_MAIN or λ_ADV_AUX.
        var lambda: Float
    }

    /// Step 2's G term of target i at one level, into `map` (generator phase). Spec §5.2 step 2.
    private func foolTargetDiscriminators(_ level: Level, map: SelfInformationMap, target i: Int) {
        let t = targetCount
        if t == 2 {
            _ = AdversarialTerm.fool(level.targetVsTarget[0], map: map, label: Float(1 - i), weight: level.lambda)
        } else {
            let weight = level.lambda / Float(t - 1)
            for j in 0..<t where j != i {
                _ = AdversarialTerm.fool(level.targetVsTarget[j], map: map, label: 0, weight: weight)
            }
        }
    }

    /// Step 4 (b)/(d): the target-vs-target discriminators on target i's detached map.
    private func trainTargetDiscriminators(_ level: Level, map: Tensor, target i: Int) {
        let t = targetCount
        if t == 2 {
            _ = AdversarialTerm.train(level.targetVsTarget[0], map: map, label: Float(i), scale: 0.5)
        } else {
            for j in 0..<t {
                if j == i {
                    _ = AdversarialTerm.train(level.targetVsTarget[j], map: map, label: 0, scale: 0.5)
                } else {
                    _ = AdversarialTerm.train(level.targetVsTarget[j], map: map, label: 1,
                                              scale: 1 / Float(2 * (t - 1)))
                }
            }
        }
    }

    public func trainIteration(on batch: TrainingBatch) throws -> IterationLosses {
        placement.isLocal ? try trainLocalIteration(on: batch) : try trainDistributedIteration(on: batch)
    }

    /// The single-process iteration, exactly as spec §5.2 writes it.
    private func trainLocalIteration(on batch: TrainingBatch) throws -> IterationLosses {
        let hp = state.hyperParameters
        let t = targetCount
        let targetRoles: (main: [DiscriminatorRole], aux: [DiscriminatorRole]) = t == 2
            ? ([.target], [.targetAux])
            : ((0..<t).map { .targetOf($0) }, (0..<t).map { .targetAuxOf($0) })
        let main = Level(sourceVsTarget: (0..<t).map { discriminator(.mainOf($0)) },
                         targetVsTarget: targetRoles.main.map { discriminator($0) },
                         lambda: Float(hp.lambdaAdvMain))
        let aux = Level(sourceVsTarget: (0..<t).map { discriminator(.auxOf($0)) },
                        targetVsTarget: targetRoles.aux.map { discriminator($0) },
                        lambda: Float(hp.lambdaAdvAux))
        var losses: [String: Double] = [:]

        // Skeleton step 1: zero every gradient; set the poly LRs.
        try beginIteration(batch)

        // 1. Source: CE at both levels, one backward; keep I(A_s), I(M_s).
        let source = sourceSegmentationStep(batch, keepMaps: true)
        losses["loss_seg_src_aux"] = source.lossAux
        losses["loss_seg_src_main"] = source.lossMain

        // 2. Each target i: fool D_*,i into "source" and the target discriminators (G terms);
        //    one backward.
        var targetAuxMaps: [Tensor?] = []
        var targetMainMaps: [Tensor] = []
        for i in 0..<t {
            let pass = segmenterPass(batch.targetImages[i], .target(i))
            if let prediction = pass.auxPrediction() {
                let map = SelfInformationMap(prediction)
                losses["loss_adv_trg_aux"] = AdversarialTerm.fool(aux.sourceVsTarget[i], map: map, label: 0,
                                                                  weight: aux.lambda)
                foolTargetDiscriminators(aux, map: map, target: i)
                map.backward(into: prediction)
                targetAuxMaps.append(map.map)
            } else {
                targetAuxMaps.append(nil)
            }
            let prediction = pass.mainPrediction()
            let map = SelfInformationMap(prediction)
            losses["loss_adv_trg_main"] = AdversarialTerm.fool(main.sourceVsTarget[i], map: map, label: 0,
                                                               weight: main.lambda)
            foolTargetDiscriminators(main, map: map, target: i)
            map.backward(into: prediction)
            targetMainMaps.append(map.map)
            try backward(pass, isFinal: i == t - 1)
        }

        // 3. Source, detached: every D_aux,i with /(1 + T), then every D_main,i with /2.
        if let auxMap = source.auxMap {
            for i in 0..<t {
                _ = AdversarialTerm.train(aux.sourceVsTarget[i], map: auxMap, label: 0, scale: 1 / Float(1 + t))
            }
        }
        for i in 0..<t {
            _ = AdversarialTerm.train(main.sourceVsTarget[i], map: source.mainMap!, label: 0, scale: 0.5)
        }

        // 4. Each target i, detached: (a) D_aux,i, (b) aux target discriminators, (c) D_main,i,
        //    (d) main target discriminators.
        for i in 0..<t {
            if let auxMap = targetAuxMaps[i] {
                losses["loss_d_aux"] = AdversarialTerm.train(aux.sourceVsTarget[i], map: auxMap, label: 1,
                                                             scale: 0.5) / 2
                trainTargetDiscriminators(aux, map: auxMap, target: i)
            }
            losses["loss_d_main"] = AdversarialTerm.train(main.sourceVsTarget[i], map: targetMainMaps[i], label: 1,
                                                          scale: 0.5) / 2
            trainTargetDiscriminators(main, map: targetMainMaps[i], target: i)
        }

        // 5. SGD step; Adam of D_aux,i and D_main,i per target; then the target discriminators.
        var adamSteps = (0..<t).flatMap { [DiscriminatorRole.auxOf($0), .mainOf($0)] }
        adamSteps += t == 2
            ? [.target, .targetAux]
            : (0..<t).flatMap { [DiscriminatorRole.targetAuxOf($0), .targetOf($0)] }
        try finishIteration(adamSteps: adamSteps)
        return reportedLosses(losses)
    }
}
