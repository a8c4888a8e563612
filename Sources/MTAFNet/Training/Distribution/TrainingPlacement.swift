// Which part of an iteration a rank computes (architecture §3.2): the targets it hosts, who leads each
// target's group, which discriminators live where, and the factors of architecture §3.3's scaling rule.
//
// Sizes: T targets, N ranks; k_t = the size of target t's group (1 when N ≤ T).

import Distributed

/// One rank's share of the multi-target work, derived from a `TargetLayout` (architecture §3.2).
///
/// Ownership: the segmenter (MTKT: the backbone and every head, architecture §3.5)
/// is shared by the world; the Baseline's discriminator pair is shared; MDis D_main,t/D_aux,t
/// and D_tgt,t/D_tgt,aux,t (T > 2) are hosted by target t's group, the T = 2 pair D_tgt/D_tgt,aux
/// by target 0's group; MTKT D_main,t/D_aux,t by target t's group.
///
/// Scaling rule: the gradient allreduce sums; a term that k ranks compute as a data-parallel
/// group on their own batches is multiplied by 1/k before the sum (`targetScale(t)` = 1/k_t;
/// `shard` mode's source terms 1/N or 1/k_t). A term that k ranks would compute redundantly on
/// the same data (`replicate` mode's source terms) is the limit of that rule, 1/k each: here it
/// is computed by one of them with factor 1 and skipped by the others (`sourceScale`,
/// `hostedSourceScale`), which is the same sum, exact in float32, and saves k − 1 backwards.
public struct TrainingPlacement: Sendable, Equatable {
    /// Which ranks host which targets (the same for every rank).
    public let layout: TargetLayout
    /// This rank.
    public let rank: Int
    /// How the ranks share the source batch.
    public let sourceMode: DistConfig.SourceMode

    /// A single process hosting every target.
    public static func local(targetCount: Int) -> TrainingPlacement {
        TrainingPlacement(layout: .singleRank(targets: targetCount), rank: 0, sourceMode: .replicate)
    }

    /// This rank's view of `layout`.
    public init(layout: TargetLayout, rank: Int, sourceMode: DistConfig.SourceMode) {
        self.layout = layout
        self.rank = rank
        self.sourceMode = sourceMode
    }

    /// T.
    public var targetCount: Int { layout.targetCount }
    /// N.
    public var worldSize: Int { layout.worldSize }
    /// `groups[t]`: the ranks hosting target t, ascending.
    public var groups: [[Int]] { layout.groups }

    /// The targets rank `r` hosts, ascending.
    public func targets(hostedBy r: Int) -> [Int] { layout.targets(hostedBy: r) }

    /// The targets this rank hosts, ascending (all of them in one process).
    public var hostedTargets: [Int] { targets(hostedBy: rank) }

    /// Whether this rank computes target t's passes.
    public func hosts(target t: Int) -> Bool { groups[t].contains(rank) }

    /// The first rank of target t's group (writes its counters, owns its exchange work).
    public func leader(of t: Int) -> Int { layout.leader(of: t) }

    /// This rank's index in target t's group (its share of t's list).
    public func member(of t: Int) -> Int? { groups[t].firstIndex(of: rank) }

    /// The number of target rounds of an iteration: most targets any rank hosts (MDis exchanges
    /// once per round).
    public var rounds: Int { layout.maxTargetsPerRank }

    /// 1/k_t: the factor of target t's terms (and of the source terms of what t's group hosts).
    public func targetScale(_ t: Int) -> Float { 1 / Float(groups[t].count) }

    /// The factor of a shared source term (source CE of the Baseline, MDis and MinEnt, the
    /// Baseline's source discriminator terms), or nil when this rank skips it: `replicate`:
    /// the last rank computes it (1), the others skip (the last rank, because rank 0 leads target
    /// 0's group, which hosts MDis's T = 2 target-vs-target pair: this balances the load);
    /// `shard`: every rank on its own batch, 1/N.
    public var sourceScale: Float? {
        if sourceMode == .shard { return 1 / Float(worldSize) }
        return rank == worldSize - 1 ? 1 : nil
    }

    /// The factor of a source term of what target t's group hosts (MDis D_main,t/D_aux,t on
    /// the source, MTKT teacher t's source CE and source discriminator terms), or nil when this
    /// rank skips it: `replicate`: the group's leader (1); `shard`: every member, 1/k_t.
    public func hostedSourceScale(_ t: Int) -> Float? {
        guard hosts(target: t) else { return nil }
        if sourceMode == .shard { return targetScale(t) }
        return rank == leader(of: t) ? 1 : nil
    }

    /// The factor of MTKT teacher t's source CE, or nil when this rank skips it: `replicate`:
    /// the rank of the shared source terms (`sourceScale`) computes every teacher's, so the
    /// source pass is one contribution as in one process (architecture §3.12); `shard`: target
    /// t's group on its own source batches, 1/k_t.
    public func teacherSourceScale(_ t: Int) -> Float? {
        sourceMode == .shard ? hostedSourceScale(t) : sourceScale
    }

    /// The target whose group hosts the discriminator of `role`, or nil when it is shared by
    /// the world (the Baseline's pair). Architecture §3.2.
    public static func hostingTarget(of role: DiscriminatorRole) -> Int? {
        switch role {
        case .main, .aux: nil
        case let .mainOf(t), let .auxOf(t), let .targetOf(t), let .targetAuxOf(t): t
        case .target, .targetAux: 0
        }
    }

    /// Whether this rank holds a live replica of the discriminator of `role` (computes with it
    /// and steps it).
    public func hosts(_ role: DiscriminatorRole) -> Bool {
        guard let t = Self.hostingTarget(of: role) else { return true }
        return hosts(target: t)
    }

    /// The rank whose copy of `role`'s discriminator is written to snapshots.
    public func owner(of role: DiscriminatorRole) -> Int {
        guard let t = Self.hostingTarget(of: role) else { return 0 }
        return leader(of: t)
    }
}
