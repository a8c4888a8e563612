// Gradient combination across ranks. Deterministic (DIST.DETERMINISTIC, the default; architecture
// §3.12): the segmenter's gradient and a world-shared discriminator's are canonical sums of their
// contributions (`CanonicalGradientSum`), equal bit for bit on every world size. Otherwise
// (architecture §3.6) the segmenter's flat gradient buffer is summed over the world in buckets
// that start during the rank's final backward of the iteration (`GradientBuckets`), and a shared
// discriminator's store with one allreduce. Either way a hosted discriminator's store is summed
// over its group (nothing to do for a group of one) with one nonblocking allreduce started
// after the backward, and everything is waited for before any optimizer step.
//
// Sizes: P parameters per store; the flat buffers hold `scalarCount` Float32 each (padding 0).

import Distributed

/// Sums gradients over their domain: the segmenter's over the world, a shared discriminator's
/// over the world, a hosted discriminator's over its target group (skipped for a group of one).
/// The scaling rule (architecture §3.3) is applied by the frameworks before the backward
/// (`TrainingPlacement`), so the allreduce is a plain sum. Afterwards each parameter's
/// "received" flag is the OR over the domain, so every replica's optimizer treats it alike
/// (spec §4.6 step 1).
///
/// MTKT: the segmenter store holds the backbone and every head. A head's gradient is non-zero
/// only on the ranks hosting its target, so the world sum equals the group sum; every rank then
/// steps every head with the same gradient and all replicas stay identical (teacher heads cost
/// about 5 % of the backbone's traffic each at ResNet-101 size). Spec §5.6.
public final class DistributedGradientSynchronizer: GradientSynchronizer {
    private let world: any Collectives
    /// The buckets' own communicator (nil in deterministic mode, which has no buckets).
    private let bucketCommunicator: (any Collectives)?
    private let groups: [Int: any Collectives]
    private let placement: TrainingPlacement
    private let bucketMB: Double
    private let time: CommunicationTime
    private var segmenterBuckets: GradientBuckets?
    /// The canonical sums of the segmenter and of the world-shared discriminators (deterministic
    /// mode), by store.
    private var canonicalSums: [ObjectIdentifier: CanonicalGradientSum]?

    /// Collective over the world (it creates the buckets' own communicator).
    ///
    /// - Parameters:
    ///   - world: every rank.
    ///   - groups: the communicator of each hosted target's group (`TargetGroups.communicators`).
    ///   - placement: this rank's share.
    ///   - bucketMB: DIST.BUCKET_MB.
    ///   - deterministic: DIST.DETERMINISTIC: canonical sums instead of buckets.
    ///   - time: where the waiting time is counted.
    public init(world: any Collectives, groups: [Int: any Collectives], placement: TrainingPlacement,
                bucketMB: Double, deterministic: Bool, time: CommunicationTime) throws {
        canonicalSums = deterministic ? [:] : nil
        self.time = time
        self.world = world
        self.groups = groups
        self.placement = placement
        self.bucketMB = bucketMB
        bucketCommunicator = deterministic ? nil : try world.split(color: 0, key: world.rank)!
        // Buckets start at different moments on different ranks, in the middle of a backward;
        // checked mode's blocking argument exchange would couple the ranks' backward passes
        // (and deadlock against an MDis exchange round). The bucket plan is equal on every rank
        // by construction: it derives from a mask allreduced over the (checked) world.
        (bucketCommunicator as? Communicator)?.checked = false
    }

    public func segmenterBackward(of state: TrainingState, pass: SegmenterPassKind, isFinal: Bool,
                                  _ backward: () throws -> Void) throws {
        if canonicalSums != nil {
            try canonicalSum(state.segmenter.parameters).record(order: pass.order, backward)
        } else if isFinal {
            let buckets = self.buckets(state)
            buckets.beginFinalBackward()
            try backward()
            try buckets.endFinalBackward()
        } else {
            try backward()
        }
    }

    public func discriminatorBackward<R>(of state: TrainingState, role: DiscriminatorRole, contribution: SegmenterPassKind,
                                         _ body: () throws -> R) rethrows -> R {
        guard isCanonical(role) else { return try body() }
        return try canonicalSum(state.requiredDiscriminator(role).model.parameters).record(order: contribution.order, body)
    }

    /// The canonical sum of a store summed over the world (created on first use).
    private func canonicalSum(_ store: ParameterStore) -> CanonicalGradientSum {
        if let sum = canonicalSums?[ObjectIdentifier(store)] { return sum }
        let sum = CanonicalGradientSum(store: store, communicator: world)
        canonicalSums?[ObjectIdentifier(store)] = sum
        return sum
    }

    public func synchronizeGradients(of state: TrainingState) throws {
        try time.measure("gradients") { try synchronize(state) }
    }

    /// The segmenter's buckets (created on first use: the store is fixed for the run).
    func buckets(_ state: TrainingState) -> GradientBuckets {
        if let segmenterBuckets { return segmenterBuckets }
        let created = GradientBuckets(store: state.segmenter.parameters, communicator: bucketCommunicator!,
                                      bucketMB: bucketMB)
        segmenterBuckets = created
        return created
    }

    private func synchronize(_ state: TrainingState) throws {
        // Each hosted discriminator's domain: its target's group, or the world for a shared one.
        let domains = state.discriminators.filter { placement.hosts($0.role) }.map { slot in
            (role: slot.role, store: slot.model.parameters,
             communicator: TrainingPlacement.hostingTarget(of: slot.role).map { groups[$0]! } ?? world)
        }
        let canonical = domains.filter { isCanonical($0.role) }
        let allreduced = domains.filter { !isCanonical($0.role) && $0.communicator.size > 1 }
        var pending: [any PendingCollective] = []
        for domain in allreduced {
            pending.append(try domain.store.withFlatGradients { try domain.communicator.startAllreduce($0, op: .sum) })
        }
        var buckets: GradientBuckets?
        if canonicalSums != nil {
            try canonicalSum(state.segmenter.parameters).reduce()
            for domain in canonical { try canonicalSum(domain.store).reduce() }
        } else {
            let segmenterBuckets = self.buckets(state)
            time.countBuckets(startedEarly: try segmenterBuckets.finish(), total: segmenterBuckets.buckets.count)
            buckets = segmenterBuckets
        }
        for request in pending { try request.wait() }
        try combineFlags(state.segmenter.parameters, over: world, buckets: buckets)
        for domain in canonical + allreduced { try combineFlags(domain.store, over: domain.communicator, buckets: nil) }
    }

    /// Whether the discriminator of `role` is summed canonically (deterministic mode, shared by
    /// the world); a hosted one accumulates on its group's ranks.
    private func isCanonical(_ role: DiscriminatorRole) -> Bool {
        canonicalSums != nil && TrainingPlacement.hostingTarget(of: role) == nil
    }

    /// ORs the "received" flags over the domain; for the segmenter the same allreduce also finds
    /// the parameters every rank's final backward wrote, which the next iteration overlaps.
    private func combineFlags(_ store: ParameterStore, over communicator: any Collectives,
                              buckets: GradientBuckets?) throws {
        let count = store.parameterCount
        var flags = store.ids.map { Int32(store.hasReceivedGradient($0) ? 1 : 0) }
        if let buckets { flags += buckets.writtenInFinalBackward.map { $0 ? 0 : 1 } }
        try communicator.allreduce(&flags, op: .max)
        for (id, flag) in zip(store.ids, flags) where flag != 0 { store.markGradientReceived(id) }
        if let buckets {
            let overlapped = flags[count...].map { $0 == 0 }
            if overlapped != buckets.overlapped { buckets.plan(overlapped: overlapped) }
        }
    }
}
