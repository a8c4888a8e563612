// The source and target loaders of a training run (spec §6.4 step 7, §7.7): each list repeated to
// cover MAX_ITERS × batch, shuffled once from its own seed, cycled; one batch per loader per
// iteration. Positions are saved with every snapshot so a resumed run reads the same batches.

/// The loaders of one run, producing `TrainingBatch`es.
///
/// Distributed (architecture §3.3): a rank opens the source loader and its hosted targets' loaders
/// only. `replicate`: every rank reads the whole source list in the single-process order;
/// `shard`: rank r of N reads entries r, r + N, … with its own shuffle. A target hosted by a
/// group of k > 1 ranks is split the same way (member m of k). Positions are keyed so that each
/// rank finds its own after a resume: `loader.source` and `loader.target<t>` when unsplit,
/// `loader.source.part<r>of<N>` and `loader.target<t>.part<m>of<k>` when split.
public final class TrainingData {
    private let source: BatchLoader
    private let sourceKey: String
    private let targets: [(target: Int, key: String, loader: BatchLoader)]
    private let targetCount: Int

    /// Opens the loaders a config names.
    ///
    /// - Parameters:
    ///   - config: the run's configuration (its framework says whether target lists are read,
    ///     `TrainingFrameworkKind.readsTargetData`).
    ///   - seed: RANDOM_SEED (each dataset's stream is derived from it).
    ///   - positions: loader positions saved by a snapshot (keys above).
    ///   - requirePositions: every loader must find its position in `positions` (a resume).
    ///   - placement: this rank's share (nil: a world of one, every target).
    ///   - prefetch: batches decoded ahead on a background thread per loader.
    /// - Throws: `DataError` for a list; `TrainingError.unsupportedWorld` for a list too short
    ///   for its group or a resume from a snapshot written with another layout.
    public init(config: MTAFConfig, seed: UInt64, positions: [String: Int] = [:],
                requirePositions: Bool = false, placement: TrainingPlacement? = nil, prefetch: Int = 2) throws {
        let placement = placement ?? .local(targetCount: config.targetCount)
        func position(_ key: String) throws -> Int {
            if let value = positions[key] { return value }
            if requirePositions {
                throw TrainingError.unsupportedWorld(
                    size: placement.worldSize,
                    reason: "the snapshot has no loader position '\(key)': it was written with another rank layout; "
                        + "resume with the world size that wrote it")
            }
            return 0
        }
        func split(_ name: String, count: Int, group: Int) throws {
            guard count >= group else {
                throw TrainingError.unsupportedWorld(
                    size: placement.worldSize,
                    reason: "\(name) has \(count) training images, fewer than the \(group) ranks that would split it; "
                        + "use at most \(count) ranks for it")
            }
        }
        let sourceData = try DatasetFactory.trainingSource(config)
        let rank = placement.rank, world = placement.worldSize
        let shard = placement.sourceMode == .shard && world > 1
        if shard { try split("the source list", count: sourceData.count, group: world) }
        sourceKey = shard ? "loader.source.part\(rank)of\(world)" : "loader.source"
        source = BatchLoader(
            dataset: sourceData,
            order: .training(listCount: sourceData.count, batchSize: config.train.batchSizeSource,
                             maxIterations: config.train.maxIters, seed: seed,
                             rank: shard ? rank : 0, groupSize: shard ? world : 1),
            batchSize: config.train.batchSizeSource, startPosition: try position(sourceKey), prefetch: prefetch)
        var targets: [(Int, String, BatchLoader)] = []
        let readsTargets = config.framework.readsTargetData
        targetCount = readsTargets ? config.targetCount : 0
        if readsTargets {
            for t in 0 ..< config.targetCount where placement.hosts(target: t) {
                let data = try DatasetFactory.trainingTarget(config, index: t)
                let group = placement.groups[t].count
                let member = placement.member(of: t)!
                if group > 1 { try split("target \(t)'s list", count: data.count, group: group) }
                let key = group > 1 ? "loader.target\(t).part\(member)of\(group)" : "loader.target\(t)"
                targets.append((t, key, BatchLoader(
                    dataset: data,
                    order: .training(listCount: data.count, batchSize: config.train.batchSizeTarget,
                                     maxIterations: config.train.maxIters, seed: RandomStream(seed: seed).split(index: t + 1).key,
                                     rank: member, groupSize: group),
                    batchSize: config.train.batchSizeTarget, startPosition: try position(key), prefetch: prefetch)))
            }
        }
        self.targets = targets.map { (target: $0.0, key: $0.1, loader: $0.2) }
    }

    /// The next iteration's batches (an empty [0] placeholder for a target this rank does not host).
    public func next() throws -> TrainingBatch {
        guard let sourceBatch = try source.next(), let labels = sourceBatch.labels else {
            throw DataError.badList(file: source.dataset.name, reason: "the training source loader ran dry")
        }
        var images = (0 ..< targetCount).map { _ in Tensor(shape: [0]) }
        for entry in targets {
            guard let batch = try entry.loader.next() else {
                throw DataError.badList(file: entry.loader.dataset.name, reason: "a training target loader ran dry")
            }
            images[entry.target] = batch.images
        }
        return TrainingBatch(sourceImages: sourceBatch.images, sourceLabels: labels, targetImages: images)
    }

    /// This rank's loader positions after the batches returned so far (saved with snapshots).
    public var positions: [String: Int] {
        var result = [sourceKey: source.position]
        for entry in targets { result[entry.key] = entry.loader.position }
        return result
    }
}
