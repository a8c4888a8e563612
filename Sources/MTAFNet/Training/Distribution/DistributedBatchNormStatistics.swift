// BatchNorm running statistics across ranks (spec §2.7, architecture §3.7). Sizes: L BatchNorm layers
// with C_l channels, S = Σ_l 2·C_l statistics per forward; T targets; the exchange buffer holds
// (1 + T)·S Float64, slot 0 the source pass and slot t + 1 target t's.

import Distributed

/// Keeps the EMA sequence source, target 0, …, target T−1 on every rank: each forward's batch
/// mean and unbiased variance go into their pass's slot, one Float64 allreduce sums the slots at
/// the end of the segmenter passes, each slot is divided by the number of ranks that computed
/// it (N for the source, k_t for target t) and every rank applies the 1 + T EMA updates in
/// upstream order. Float64 sums of equal Float32 values divide back exactly, so in `replicate`
/// mode with one rank per target the running statistics are bit-identical to one process.
/// Normalization itself uses each rank's own batch. Spec §2.7, §5.6.
public final class DistributedBatchNormStatistics: BatchNormStatisticsSynchronizer {
    private let world: any Collectives
    private let placement: TrainingPlacement
    private let time: CommunicationTime
    private var slots: [Double] = []
    private var statisticsCount = 0

    /// - Parameters:
    ///   - world: every rank.
    ///   - placement: this rank's share (which slots it fills, how many ranks fill each).
    ///   - time: where the waiting time is counted.
    public init(world: any Collectives, placement: TrainingPlacement, time: CommunicationTime) {
        self.world = world
        self.placement = placement
        self.time = time
    }

    public func prepare(_ layers: [BatchNorm2dLayer]) {
        for layer in layers { layer.defersRunningStatistics = true }
        statisticsCount = layers.reduce(0) { $0 + 2 * $1.channels }
        slots = [Double](repeating: 0, count: (1 + placement.targetCount) * statisticsCount)
    }

    public func forwardDidRun(_ pass: SegmenterPassKind, layers: [BatchNorm2dLayer]) {
        var offset = pass.order * statisticsCount
        for layer in layers {
            for source in [layer.lastBatchMean, layer.lastBatchUnbiasedVariance] {
                source.withUnsafeBufferPointer { s in
                    for c in 0..<s.count { slots[offset + c] = Double(s[c]) }
                }
                offset += layer.channels
            }
        }
    }

    public func passesDidFinish(layers: [BatchNorm2dLayer]) throws {
        try time.measure("batchnorm") { try world.allreduce(&slots, op: .sum) }
        var mean = [Float](), variance = [Float]()
        for slot in 0...placement.targetCount {
            let contributors = Double(slot == 0 ? placement.worldSize : placement.groups[slot - 1].count)
            var offset = slot * statisticsCount
            for layer in layers {
                let c = layer.channels
                mean = (0..<c).map { Float(slots[offset + $0] / contributors) }
                variance = (0..<c).map { Float(slots[offset + c + $0] / contributors) }
                mean.withUnsafeBufferPointer { m in
                    variance.withUnsafeBufferPointer { v in
                        layer.applyRunningStatisticsUpdate(batchMean: m.baseAddress!, batchUnbiasedVariance: v.baseAddress!)
                    }
                }
                offset += 2 * c
            }
        }
        for i in slots.indices { slots[i] = 0 }
    }
}
