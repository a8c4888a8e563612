// MTAF's Multi-Target Knowledge Transfer (upstream `train_advent_mtkt`) on DeepLabv2MTKT: head
// t + 1 is target t's teacher (trained with source CE and its own discriminator pair), head 0
// the target-agnostic student (distilled from the teachers on target data), with decision (b)
// of spec §5.3.
//
// Sizes: T ≥ 2 targets, K = 1 + T heads; predictions and maps [N, C, H, W] at their batch's
// input size; discriminator outputs [N, 1, ⌊H/32⌋, ⌊W/32⌋].

/// One MTKT iteration, spec §5.3:
/// 1. Source seg pass over the teacher heads k = 1…T:
///    λ_SEG_MAIN·Σ_k CE(up_s(main_k), y_s) + λ_SEG_AUX·Σ_k CE(up_s(aux_k), y_s); backward.
///    The student gets no source loss.
/// 2. For each target i: seg pass; A_i, M_i = teacher i's up_t(aux_{i+1}), up_t(main_{i+1});
///    λ_ADV_AUX·BCE(D_aux,i(I(A_i)), 0)/2 + λ_ADV_MAIN·BCE(D_main,i(I(M_i)), 0)/2 (D_aux,i: decision
///    (b)) and, only if i_iter ≥ TEACHER_ITERS, λ_KL_TARGET·KL(S^m_i; M_i) +
///    λ_SEG_AUX·λ_KL_TARGET·KL(S^a_i; A_i)/T with the student's up_t(main_0), up_t(aux_0) and the
///    teachers detached; backward.
/// 3. Source, detached, for each i: BCE(D_main,i(I(up_s(main_{i+1}))), 0)/2, then
///    BCE(D_aux,i(I(up_s(aux_{i+1}))), 0)/2.
/// 4. For each target i, detached: BCE(D_main,i(I(M_i)), 1)/2; BCE(D_aux,i(I(A_i)), 1)/2.
/// 5. SGD step; for each i: Adam of D_main,i, then of D_aux,i.
/// Warm-up: before TEACHER_ITERS the student heads get no gradient at all, so SGD skips them.
/// Reported: `loss_seg_src_main`, `loss_seg_src_aux` (sums over the teachers), `loss_div_trg`
/// (the main KL), `loss_adv_trg_main`, `loss_adv_trg_aux`, `loss_d_main`, `loss_d_aux` (last
/// target's). Spec §5.3, §10 (upstream `train_advent_mtkt`).
///
/// Distributed (architecture §3.5): a rank runs the backbone, the student and the teacher heads of its
/// hosted targets (target i's terms ×1/k_i); the teachers' source CE runs on the last rank for
/// every teacher in replicate mode (one source contribution, as in one process) or on teacher
/// i's group ×1/k_i in shard mode; D_main,i and D_aux,i live on target i's group with teacher
/// i's source terms on its leader (or ×1/k_i in shard mode).
public final class MTKTFramework: TrainingFramework {
    public let state: TrainingState
    public let synchronization: TrainingSynchronization

    /// - Parameters:
    ///   - state: an `.mtkt` state (DeepLabv2MTKT with 1 + T heads, T ≥ 2).
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
        let dMain = (0..<t).map { discriminator(.mainOf($0)) }
        let dAux = (0..<t).map { discriminator(.auxOf($0)) }
        let distil = state.iteration >= hp.teacherIterations
        var losses = LossRecord()
        losses.declareSummed("loss_seg_src_main")
        losses.declareSummed("loss_seg_src_aux")

        // Skeleton step 1: zero every gradient; set the poly LRs.
        try beginIteration(batch)

        // 1. Source: CE of the teacher heads at both levels, one backward (on the ranks of
        //    `teacherSourceScale`: replicate, the last rank for every teacher, as one process;
        //    shard, teacher i's group ×1/k_i); keep the detached maps I(up_s(main_{i+1})),
        //    I(up_s(aux_{i+1})) for step 3 where D_main,i and D_aux,i live (architecture §3.5).
        let ceTeachers = (0..<t).filter { placement.teacherSourceScale($0) != nil }
        let sourceTeachers = hosted.filter { placement.hostedSourceScale($0) != nil }
        let source = segmenterPass(batch.sourceImages, .source,
                                   heads: Set(ceTeachers + sourceTeachers).sorted().map { $0 + 1 })
        var sourceMainMaps: [Int: Tensor] = [:], sourceAuxMaps: [Int: Tensor] = [:]
        for i in ceTeachers {
            let k = i + 1, scale = placement.teacherSourceScale(i)!
            let counts = placement.sourceMode == .replicate || placement.leader(of: i) == placement.rank
            let lossMain = source.mainPrediction(head: k)
                .crossEntropy(labels: batch.sourceLabels, weight: Float(hp.lambdaSegMain) * scale)
            if counts { losses.add("loss_seg_src_main", lossMain) }
            if let aux = source.auxPrediction(head: k) {
                let lossAux = aux.crossEntropy(labels: batch.sourceLabels, weight: Float(hp.lambdaSegAux) * scale)
                if counts { losses.add("loss_seg_src_aux", lossAux) }
            }
        }
        for i in sourceTeachers {
            sourceMainMaps[i] = detachedSelfInformation(source.mainPrediction(head: i + 1))
            sourceAuxMaps[i] = source.auxPrediction(head: i + 1).map { detachedSelfInformation($0) }
        }
        if ceTeachers.isEmpty { source.discard() } else { try backward(source, isFinal: false) }

        // 2. Each (hosted) target i: teacher i fools D_main,i and D_aux,i (/2); from TEACHER_ITERS
        //    on the student is distilled from the detached teacher; one backward (×1/k_i).
        var targetMainMaps: [Int: Tensor] = [:], targetAuxMaps: [Int: Tensor] = [:]
        for i in hosted {
            let teacher = i + 1, scale = placement.targetScale(i)
            let pass = segmenterPass(batch.targetImages[i], .target(i), heads: distil ? [0, teacher] : [teacher])
            if let aux = pass.auxPrediction(head: teacher) {
                let map = SelfInformationMap(aux)
                losses.set("loss_adv_trg_aux", AdversarialTerm.fool(dAux[i], map: map, label: 0,
                                                                    weight: Float(hp.lambdaAdvAux / 2) * scale),
                           target: i)
                map.backward(into: aux)
                targetAuxMaps[i] = map.map
            }
            let main = pass.mainPrediction(head: teacher)
            let map = SelfInformationMap(main)
            losses.set("loss_adv_trg_main", AdversarialTerm.fool(dMain[i], map: map, label: 0,
                                                                 weight: Float(hp.lambdaAdvMain / 2) * scale),
                       target: i)
            map.backward(into: main)
            targetMainMaps[i] = map.map
            if distil {
                losses.set("loss_div_trg", pass.mainPrediction(head: 0)
                    .klDivergence(fromTeacher: main, weight: Float(hp.lambdaKLTarget) * scale), target: i)
                if let studentAux = pass.auxPrediction(head: 0), let aux = pass.auxPrediction(head: teacher) {
                    _ = studentAux.klDivergence(fromTeacher: aux,
                                                weight: Float(hp.lambdaSegAux * hp.lambdaKLTarget / Double(t)) * scale)
                }
            } else {
                losses.set("loss_div_trg", 0, target: i)
            }
            try backward(pass, isFinal: i == hosted.last)
        }

        // 3. Source, detached: teacher i's maps against D_main,i then D_aux,i, label 0, /2.
        for i in sourceTeachers {
            let scale = 0.5 * placement.hostedSourceScale(i)!
            _ = AdversarialTerm.train(dMain[i], map: sourceMainMaps[i]!, label: 0, scale: scale)
            if let auxMap = sourceAuxMaps[i] {
                _ = AdversarialTerm.train(dAux[i], map: auxMap, label: 0, scale: scale)
            }
        }

        // 4. Each (hosted) target i, detached: D_main,i then D_aux,i, label 1, /2.
        for i in hosted {
            let scale = 0.5 * placement.targetScale(i)
            losses.set("loss_d_main", AdversarialTerm.train(dMain[i], map: targetMainMaps[i]!, label: 1,
                                                            scale: scale) / 2, target: i)
            if let auxMap = targetAuxMaps[i] {
                losses.set("loss_d_aux", AdversarialTerm.train(dAux[i], map: auxMap, label: 1, scale: scale) / 2,
                           target: i)
            }
        }

        // 5. SGD step; for each (hosted) i: Adam of D_main,i then D_aux,i.
        try finishIteration(adamSteps: (0..<t).flatMap { [DiscriminatorRole.mainOf($0), .auxOf($0)] })
        return try reportedLosses(losses)
    }
}
