// The collective seams of a training iteration (design §3), chosen from the `Cluster` the
// trainer runs on. A world of one gets the local implementations, which do nothing.

import Distributed

/// What a framework calls where a multi-process trainer would communicate: BN statistics after
/// each segmenter forward, gradients after the last backward and before the optimizer steps.
public struct TrainingSynchronization {
    /// Gradient combination (design §3).
    public var gradients: any GradientSynchronizer
    /// BN running-statistics order (spec §2.7).
    public var batchNormStatistics: any BatchNormStatisticsSynchronizer

    public init(gradients: any GradientSynchronizer, batchNormStatistics: any BatchNormStatisticsSynchronizer) {
        self.gradients = gradients
        self.batchNormStatistics = batchNormStatistics
    }

    /// A single process: nothing to combine, BN statistics updated in the forward.
    public static func local() -> TrainingSynchronization {
        TrainingSynchronization(gradients: LocalGradientSynchronizer(),
                                batchNormStatistics: InForwardBatchNormStatistics())
    }

    /// The seams for `cluster`: local for a world of one.
    ///
    /// - Throws: `TrainingError.unsupportedWorld` for a larger world (the distributed trainer of
    ///   design §3 is not built yet).
    public static func forCluster(_ cluster: any Cluster) throws(TrainingError) -> TrainingSynchronization {
        guard cluster.size == 1 else {
            throw .unsupportedWorld(size: cluster.size,
                                    reason: "the frameworks run in one process for now (distributed trainer: design §3)")
        }
        return local()
    }
}
