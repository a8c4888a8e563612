// Gradient combination across ranks (design §3): after the iteration's last backward and before
// any optimizer step, every communication domain's flat gradient buffer is summed with one
// nonblocking allreduce per parameter store, all started before the first wait.
//
// Sizes: P parameters per store; the flat buffers hold `scalarCount` Float32 each (padding 0).

import Distributed

/// Sums gradients over their domain: the segmenter's over the world, a shared discriminator's
/// over the world, a hosted discriminator's over its target group (skipped for a group of one).
/// The scaling rule (design §3) is applied by the frameworks before the backward
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
    private let groups: [Int: any Collectives]
    private let placement: TrainingPlacement
    private let time: CommunicationTime

    /// - Parameters:
    ///   - world: every rank.
    ///   - groups: the communicator of each hosted target's group (`TargetGroups.communicators`).
    ///   - placement: this rank's share.
    ///   - time: where the waiting time is counted.
    public init(world: any Collectives, groups: [Int: any Collectives], placement: TrainingPlacement,
                time: CommunicationTime) {
        self.time = time
        self.world = world
        self.groups = groups
        self.placement = placement
    }

    public func synchronizeGradients(of state: TrainingState) throws {
        try time.measure("gradients") { try synchronize(state) }
    }

    private func synchronize(_ state: TrainingState) throws {
        var domains: [(store: ParameterStore, communicator: any Collectives)] = [(state.segmenter.parameters, world)]
        for slot in state.discriminators where placement.hosts(slot.role) {
            let communicator = TrainingPlacement.hostingTarget(of: slot.role).map { groups[$0]! } ?? world
            domains.append((slot.model.parameters, communicator))
        }
        domains.removeAll { $0.communicator.size == 1 }
        var pending: [any PendingCollective] = []
        for domain in domains {
            pending.append(try domain.store.withFlatGradients { try domain.communicator.startAllreduce($0, op: .sum) })
        }
        for request in pending { try request.wait() }
        for domain in domains {
            var flags = domain.store.ids.map { Int32(domain.store.hasReceivedGradient($0) ? 1 : 0) }
            try domain.communicator.allreduce(&flags, op: .max)
            for (id, flag) in zip(domain.store.ids, flags) where flag != 0 { domain.store.markGradientReceived(id) }
        }
    }
}
