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
/// One implementation for every world size, a world of one included (architecture §3.4): the
/// segmenter is shared (source CE on the last rank, or ×1/N in shard mode); D_main,i and D_aux,i
/// live on target i's group, the target-vs-target discriminators on their target's group
/// (T = 2: target 0's); the G terms and (b)/(d) go through the map exchange of
/// `trainIteration` (MDisFramework+Exchange.swift), which in a world of one is a copy.
public final class MDisFramework: TrainingFramework {
    public let state: TrainingState
    public let synchronization: TrainingSynchronization

    /// - Parameters:
    ///   - state: an `.mdis` state (T ≥ 2).
    ///   - synchronization: the collective seams.
    init(state: TrainingState, synchronization: TrainingSynchronization) {
        self.state = state
        self.synchronization = synchronization
    }
}
