// A check that every replica of a parameter store is still identical (architecture §3.8: shared
// parameters on every rank, hosted ones on every rank of their group). Run at each snapshot of
// a distributed run; a mismatch is a bug (or hardware fault) and stops the run.
//
// Sizes: D = 1 + number of discriminators stores; each rank contributes D (flag, hash) pairs.

import Distributed

/// Hashes each replicated store (values, BN buffers and counters, optimizer state) and compares
/// the hashes of the ranks that hold a live replica. Architecture §3.8.
enum ReplicaCheck {
    /// Collective over `world`.
    ///
    /// - Returns: a one-line summary ("N stores identical on their replicas").
    /// - Throws: `TrainingError.replicaMismatch` naming the store and the ranks.
    static func verify(_ state: TrainingState, placement: TrainingPlacement,
                       world: any Collectives) throws -> String {
        var names = ["segmenter"]
        var mine: [Int64] = [1, Int64(bitPattern: segmenterHash(state))]
        for slot in state.discriminators {
            names.append(slot.key)
            let live = placement.hosts(slot.role)
            mine += [live ? 1 : 0, live ? Int64(bitPattern: discriminatorHash(slot)) : 0]
        }
        let all = try world.allgather(mine)
        let stride = mine.count
        var replicas = 0
        for (k, name) in names.enumerated() {
            var seen: [(rank: Int, hash: Int64)] = []
            for r in 0..<world.size where all[r * stride + 2 * k] != 0 {
                seen.append((r, all[r * stride + 2 * k + 1]))
            }
            replicas += seen.count
            if let first = seen.first, let other = seen.first(where: { $0.hash != first.hash }) {
                throw TrainingError.replicaMismatch(store: name, ranks: [first.rank, other.rank])
            }
        }
        return "replicas identical: \(names.count) stores, \(replicas) replicas on \(world.size) ranks"
    }

    private static func segmenterHash(_ state: TrainingState) -> UInt64 {
        var hash = FNV1a()
        state.segmenter.parameters.withFlatValues { hash.add($0) }
        state.segmenter.buffers.withFlatValues { hash.add($0) }
        for layer in state.segmenter.batchNormLayers { hash.add(UInt64(bitPattern: layer.numBatchesTracked)) }
        hash.add(state.segmenterOptimizer.exportState())
        return hash.value
    }

    private static func discriminatorHash(_ slot: TrainedDiscriminator) -> UInt64 {
        var hash = FNV1a()
        slot.model.parameters.withFlatValues { hash.add($0) }
        hash.add(slot.optimizer.exportState())
        return hash.value
    }
}

private extension FNV1a {
    /// Adds every value's bit pattern, one word each.
    mutating func add(_ floats: UnsafeMutableBufferPointer<Float>) {
        for x in floats { add(UInt64(x.bitPattern)) }
    }

    /// Adds an optimizer's tensors (bit patterns) and counters.
    mutating func add(_ state: OptimizerState) {
        for tensor in state.tensors {
            for x in tensor.values { add(UInt64(x.bitPattern)) }
        }
        for counter in state.counters { add(UInt64(bitPattern: Int64(counter.value))) }
    }
}
