// The source and target loaders of a training run (spec §6.4 step 7, §7.7): each list repeated to
// cover MAX_ITERS × batch, shuffled once from its own seed, cycled; one batch per loader per
// iteration. Positions are saved with every snapshot so a resumed run reads the same batches.

/// The loaders of one run, producing `TrainingBatch`es.
public final class TrainingData {
    private let source: BatchLoader
    private let targets: [BatchLoader]

    /// Opens the loaders a config names.
    ///
    /// - Parameters:
    ///   - config: the run's configuration.
    ///   - readsTargets: whether the framework reads target batches (not SourceOnly).
    ///   - seed: RANDOM_SEED (each dataset's stream is derived from it).
    ///   - positions: loader positions saved by a snapshot (`loader.source`, `loader.target<t>`).
    ///   - prefetch: batches decoded ahead on a background thread per loader.
    public init(config: MTAFConfig, readsTargets: Bool, seed: UInt64, positions: [String: Int] = [:],
                prefetch: Int = 2) throws {
        let sourceData = try DatasetFactory.trainingSource(config)
        source = BatchLoader(
            dataset: sourceData,
            order: .training(listCount: sourceData.count, batchSize: config.train.batchSizeSource,
                             maxIterations: config.train.maxIters, seed: seed),
            batchSize: config.train.batchSizeSource, startPosition: positions["loader.source"] ?? 0, prefetch: prefetch)
        var targets: [BatchLoader] = []
        if readsTargets {
            for t in 0 ..< config.targetCount {
                let data = try DatasetFactory.trainingTarget(config, index: t)
                targets.append(BatchLoader(
                    dataset: data,
                    order: .training(listCount: data.count, batchSize: config.train.batchSizeTarget,
                                     maxIterations: config.train.maxIters, seed: RandomStream(seed: seed).split(index: t + 1).key),
                    batchSize: config.train.batchSizeTarget, startPosition: positions["loader.target\(t)"] ?? 0,
                    prefetch: prefetch))
            }
        }
        self.targets = targets
    }

    /// The next iteration's batches.
    public func next() throws -> TrainingBatch {
        guard let sourceBatch = try source.next(), let labels = sourceBatch.labels else {
            throw DataError.badList(file: source.dataset.name, reason: "the training source loader ran dry")
        }
        var images: [Tensor] = []
        for loader in targets {
            guard let batch = try loader.next() else {
                throw DataError.badList(file: loader.dataset.name, reason: "a training target loader ran dry")
            }
            images.append(batch.images)
        }
        return TrainingBatch(sourceImages: sourceBatch.images, sourceLabels: labels, targetImages: images)
    }

    /// Every loader's position after the batches returned so far (saved with snapshots).
    public var positions: [String: Int] {
        var result = ["loader.source": source.position]
        for (t, loader) in targets.enumerated() { result["loader.target\(t)"] = loader.position }
        return result
    }
}
