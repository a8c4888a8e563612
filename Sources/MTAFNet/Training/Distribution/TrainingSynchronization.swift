// The collective seams of a training iteration (architecture §4.2), chosen from the `Cluster` the
// trainer runs on. One process is a world of one with the same placement logic as N ranks; its
// gradient and BN-statistics synchronizers are the ones that have nothing to combine.

import Distributed

/// What a framework calls where a multi-process trainer communicates: BN statistics after each
/// segmenter forward, gradients after the last backward and before the optimizer steps, the
/// MDis map exchange, and the merge of the printed losses; plus which targets this rank hosts.
public struct TrainingSynchronization {
    /// Gradient combination (architecture §3.6).
    public var gradients: any GradientSynchronizer
    /// BN running-statistics order (spec §2.7).
    public var batchNormStatistics: any BatchNormStatisticsSynchronizer
    /// This rank's share (in one process: every target, no scaling).
    public var placement: TrainingPlacement
    /// The world communicator (`LocalCommunicator` in one process).
    public var world: any Collectives
    /// Waiting time per communication kind (distributed runs).
    public var time: CommunicationTime

    public init(gradients: any GradientSynchronizer, batchNormStatistics: any BatchNormStatisticsSynchronizer,
                placement: TrainingPlacement, world: any Collectives, time: CommunicationTime = CommunicationTime()) {
        self.gradients = gradients
        self.batchNormStatistics = batchNormStatistics
        self.placement = placement
        self.world = world
        self.time = time
    }

    /// A world of one (no mpirun) hosting `targetCount` targets: `forCluster` on `LocalCluster`.
    ///
    /// - Parameter deterministic: DIST.DETERMINISTIC.
    public static func local(targetCount: Int, deterministic: Bool = DistConfig().deterministic) throws
        -> TrainingSynchronization {
        try forCluster(LocalCluster(), layout: TargetLayout(targets: max(targetCount, 1), ranks: 1), sourceMode: .replicate,
                       deterministic: deterministic)
    }

    /// The seams for `cluster` on `layout` (architecture §3). A world of one updates the BN
    /// statistics in the forward, and without DIST.DETERMINISTIC lets its passes accumulate
    /// into one gradient buffer (`LocalGradientSynchronizer`).
    ///
    /// - Parameters:
    ///   - cluster: the processes.
    ///   - layout: which ranks host which targets (its world size must be the cluster's).
    ///   - sourceMode: DIST.SOURCE_MODE.
    ///   - bucketMB: DIST.BUCKET_MB, the segmenter's gradient bucket cap.
    ///   - deterministic: DIST.DETERMINISTIC: gradients summed in canonical order (architecture §3.12).
    /// - Throws: `LayoutError` for a layout of another world; a communication error.
    public static func forCluster(_ cluster: any Cluster, layout: TargetLayout, sourceMode: DistConfig.SourceMode,
                                  bucketMB: Double = DistConfig().bucketMB,
                                  deterministic: Bool = DistConfig().deterministic) throws -> TrainingSynchronization {
        let placement = TrainingPlacement(layout: layout, rank: cluster.rank, sourceMode: sourceMode)
        let time = CommunicationTime()
        let gradients: any GradientSynchronizer
        if cluster.size == 1 && !deterministic {
            gradients = LocalGradientSynchronizer()
        } else {
            let groups = try TargetGroups(layout: layout, world: cluster.world)
            gradients = try DistributedGradientSynchronizer(world: cluster.world, groups: groups.communicators,
                                                            placement: placement, bucketMB: bucketMB,
                                                            deterministic: deterministic, time: time)
        }
        let statistics: any BatchNormStatisticsSynchronizer = cluster.size == 1
            ? InForwardBatchNormStatistics()
            : DistributedBatchNormStatistics(world: cluster.world, placement: placement, time: time)
        return TrainingSynchronization(gradients: gradients, batchNormStatistics: statistics, placement: placement,
                                       world: cluster.world, time: time)
    }

    /// Whether the run stops before the next iteration: the largest signal number any rank
    /// received (`StopRequest`), so every rank stops at the same boundary. One small allreduce
    /// per iteration (in a world of one, `signal` itself).
    ///
    /// - Parameter signal: the stop signal this rank received, nil when none.
    func agreeOnStop(_ signal: Int32?) throws -> Int32? {
        var flag = [signal ?? 0]
        try time.measure("stop") { try world.allreduce(&flag, op: .max) }
        return flag[0] == 0 ? nil : flag[0]
    }

    /// The printed losses of an iteration (spec §5.5): each name takes the value of the rank
    /// that computed the last target setting it (ties: the lowest rank, so in shard mode the source losses are rank 0's), and summed names add
    /// up every rank's contribution. Every rank returns the same values.
    ///
    /// - Parameters:
    ///   - record: this rank's values.
    ///   - names: the framework's loss names in print order.
    func merge(_ record: LossRecord, names: [String]) throws -> [String: Double] {
        var mine = [Double]()
        for name in names {
            let value = record.values[name]
            mine += [value ?? 0, value == nil ? -1 : Double(record.priorities[name] ?? 0),
                     record.summed.contains(name) ? 1 : 0]
        }
        let all = try time.measure("losses") { try world.allgather(mine) }
        var merged: [String: Double] = [:]
        let stride = 3 * names.count
        for (k, name) in names.enumerated() {
            var best: (priority: Double, value: Double)? = nil
            var sum = 0.0, summed = false
            for r in 0..<world.size {
                let entry = all[r * stride + 3 * k ..< r * stride + 3 * k + 3].map { $0 }
                if entry[2] != 0 {
                    summed = true
                    sum += entry[0]
                } else if entry[1] >= 0, best == nil || entry[1] > best!.priority {
                    best = (entry[1], entry[0])
                }
            }
            if summed {
                merged[name] = sum
            } else if let best {
                merged[name] = best.value
            }
        }
        return merged
    }
}
