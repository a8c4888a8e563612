import Distributed
import Foundation

/// The scores of one target for one checkpoint.
public struct TargetResult: Codable, Sendable {
    public let target: String
    public let classNames: [String]
    /// Per-class IoU in [0, 1] (NaN for a class absent from ground truth and prediction).
    public let iou: [Double]
    /// mIoU ×100, rounded to 2 decimals (spec §4.11).
    public let mIoU: Double

    enum CodingKeys: String, CodingKey { case target, classNames = "class_names", iou, mIoU = "miou" }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(target, forKey: .target)
        try container.encode(classNames, forKey: .classNames)
        try container.encode(iou.map { $0.isNaN ? nil : $0 }, forKey: .iou)
        try container.encode(mIoU.isNaN ? nil : mIoU, forKey: .mIoU)
    }

    public init(target: String, classNames: [String], iou: [Double], mIoU: Double) {
        self.target = target
        self.classNames = classNames
        self.iou = iou
        self.mIoU = mIoU
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        target = try container.decode(String.self, forKey: .target)
        classNames = try container.decode([String].self, forKey: .classNames)
        iou = try container.decode([Double?].self, forKey: .iou).map { $0 ?? .nan }
        mIoU = try container.decodeIfPresent(Double.self, forKey: .mIoU) ?? .nan
    }
}

/// Upstream's `test.py` (spec §6.5, §8): single mode (given checkpoints, optional ensemble) and
/// best mode (scan the trainer's snapshots, cache per target, keep the best per target and for the
/// multi-target average).
public final class TestRunner {
    public let config: MTAFConfig
    public let cluster: any Cluster
    private let log: (String) -> Void
    /// Seconds between looks for a missing snapshot in best mode (upstream: 5).
    public var pollSeconds: Double = 5
    /// When set, rank zero saves predictions as PNG files under `<folder>/<target name>/`
    /// (`PredictionWriter`): single mode those of the evaluated model(s); best mode, after the
    /// scan, those of each target's best checkpoint (evaluated once more for this).
    public var predictionDirectory: String?
    /// When set (`test --export FORMAT DIR`), predictions at the ground truth's full resolution
    /// go under `<folder>/<target name>/` (`PredictionExporter`), for the same checkpoints as
    /// `predictionDirectory`.
    public var export: (directory: String, format: ExportFormat)?
    /// When set (`test --save-logits DIR`), each image's main logits go under
    /// `<folder>/<target name>/` (`LogitsWriter`), for the same checkpoints.
    public var logitsDirectory: String?
    /// Single mode: also score the source's held-out validation set (when the source has a `val`
    /// list, as the synthetic benchmark does), to show the domain gap. Printed, not averaged.
    public var includeSourceValidation = false

    public init(config: MTAFConfig, cluster: any Cluster, log: @escaping (String) -> Void = { StandardOutput.line($0) }) {
        self.config = config
        self.cluster = cluster
        self.log = log
    }

    /// Runs the configured mode and returns, per evaluated checkpoint, the results of every target.
    public func run() throws -> [(checkpoint: String, results: [TargetResult])] {
        try runReport().evaluated.map { ($0.checkpoint, $0.targets) }
    }

    /// Runs the configured mode and returns everything it found (for `results_<mode>.json` / `.md`).
    public func runReport() throws -> TestReport {
        switch config.test.modeValue {
        case .single:
            let (checkpoint, results) = try runSingle()
            return TestReport(mode: "single", targets: config.targets, classNames: classNames,
                              evaluated: [CheckpointResults(checkpoint: checkpoint, targets: results)])
        case .best:
            return try runBest()
        }
    }

    private var classNames: [String] {
        LabelMaps.classNames(numClasses: config.numClasses) ?? (0 ..< config.numClasses).map { "class \($0)" }
    }

    /// A segmenter of TEST.MODEL[m] with the config's blocks and width.
    func makeSegmenter(model: String, multiLevel: Bool) -> Segmenter {
        let configuration = DeepLabV2Configuration(blocks: config.modelBlocks, width: config.modelWidth,
                                                   classes: config.numClasses, multiLevel: multiLevel)
        let random = RandomStream(seed: 0)
        return model == "DeepLabv2MTKT"
            ? .deepLabV2MTKT(DeepLabV2MTKT(configuration, heads: 1 + config.targetCount, random: random))
            : .deepLabV2(DeepLabV2(configuration, random: random))
    }

    /// Scores every target with the given models (saving predictions when `predictionDirectory`
    /// is set).
    public func evaluate(_ models: [WeightedSegmenter]) throws -> [TargetResult] {
        try (0 ..< config.targetCount).map { try evaluate(models, target: $0, savePredictions: true) }
    }

    /// Scores target t; with `savePredictions`, each rank also writes the files of the images it
    /// scores: PNG predictions (`predictionDirectory`), full-resolution exports (`export`) and
    /// logits (`logitsDirectory`).
    func evaluate(_ models: [WeightedSegmenter], target t: Int, savePredictions: Bool) throws -> TargetResult {
        let dataset = try DatasetFactory.testTarget(config, index: t)
        var save: ((String, LabelImage) throws -> Void)?
        if savePredictions, let predictionDirectory {
            let writer = PredictionWriter(directory: predictionDirectory + "/" + config.targets[t],
                                          classCount: config.numClasses)
            save = { name, classes in try writer.write(name: name, classes: classes) }
        }
        let outputs = savePredictions ? try outputWriters(models, target: t) : nil
        let matrix = try Evaluator.confusion(models: models, dataset: dataset, classCount: config.numClasses,
                                             indices: try sharedIndices(target: t, count: dataset.count),
                                             prediction: save, outputs: outputs)
        // Architecture §3.9: every rank scored its share; the counts meet on every rank (rank zero reports).
        var counts = matrix.counts
        try cluster.world.allreduce(&counts, op: .sum)
        let total = ConfusionMatrix(classCount: config.numClasses, counts: counts)
        return TargetResult(target: config.targets[t], classNames: classNames, iou: total.perClassIoU,
                            mIoU: total.meanIoUPercent)
    }

    /// The writer of target t's full-resolution exports and logits, nil when neither is asked for.
    /// The first image whose label size differs from its full resolution is reported once: the
    /// official evaluator then scores another resolution than results_*.json.
    private func outputWriters(_ models: [WeightedSegmenter],
                               target t: Int) throws -> ((SegmentationSample, [Tensor]) throws -> Void)? {
        let weights = models.map(\.weight)
        let exporter = try export.map {
            try PredictionExporter(directory: $0.directory + "/" + config.targets[t], classCount: config.numClasses,
                                   format: $0.format, weights: weights)
        }
        let logits = logitsDirectory.map { LogitsWriter(directory: $0 + "/" + config.targets[t], weights: weights) }
        guard exporter != nil || logits != nil else { return nil }
        var reported = false
        return { [self] sample, mainLogits in
            if let exporter {
                if !reported, let label = sample.label, let full = sample.fullResolution,
                   label.size != full.canvas {
                    log0("export: \(config.targets[t]) is scored at TEST.OUTPUT_SIZE_TARGET \(label.width)x\(label.height) "
                        + "but its ground truth is \(full.size.width)x\(full.size.height) (e.g. \(sample.name)); "
                        + "the official evaluator's scores of the export will differ from results_*.json")
                    reported = true
                }
                try exporter.write(sample, mainLogits: mainLogits)
            }
            try logits?.write(sample, mainLogits: mainLogits)
        }
    }

    /// The validation images of target t this rank scores: under mpirun the ranks of the
    /// target's group (TargetLayout, as in training) split its list (entries r, r+g, …); other
    /// ranks score none of it. A world of one scores everything.
    func sharedIndices(target t: Int, count: Int) throws -> [Int] {
        let layout = try TargetLayout(targets: config.targetCount, ranks: cluster.size)
        let group = layout.groups[t]
        guard let position = group.firstIndex(of: cluster.rank) else { return [] }
        return Array(stride(from: position, to: count, by: group.count))
    }

    /// Rank zero's answer to "does this file exist?", the same on every rank (so that ranks never
    /// disagree about a snapshot a running trainer is writing).
    private func existsOnRoot(_ path: String) throws -> Bool {
        var flag = [Int32(cluster.isRoot && FileManager.default.fileExists(atPath: path) ? 1 : 0)]
        try cluster.world.broadcast(&flag, root: 0)
        return flag[0] == 1
    }

    private func runSingle() throws -> (checkpoint: String, results: [TargetResult]) {
        var models: [WeightedSegmenter] = []
        for (m, model) in config.test.model.enumerated() {
            let segmenter = makeSegmenter(model: model, multiLevel: config.test.multiLevel[m])
            try ModelCheckpoint.load(segmenter.stateDict, from: config.test.restoreFrom[m], note: note0)
            models.append(WeightedSegmenter(segmenter, weight: Float(config.test.modelWeight[m])))
        }
        log0("Evaluating model \(config.test.restoreFrom[0])")
        let results = try evaluate(models)
        for result in results {
            log0("\tTarget: \(result.target)")
            log0("mIoU = \t\(format(result.mIoU))")
            printClasses(result)
        }
        if includeSourceValidation, let source = try DatasetFactory.sourceValidation(config) {
            let matrix = try Evaluator.confusion(models: models, dataset: source, classCount: config.numClasses,
                                                 indices: Array(0 ..< source.count))
            log0("\tSource: \(config.source) (held-out val, \(source.count) images)")
            log0("mIoU = \t\(format(matrix.meanIoUPercent))")
            printClasses(TargetResult(target: config.source, classNames: classNames, iou: matrix.perClassIoU,
                                      mIoU: matrix.meanIoUPercent))
        }
        return (config.test.restoreFrom[0], results)
    }

    private func runBest() throws -> TestReport {
        let directory = config.test.snapshotDir[0]
        let segmenter = makeSegmenter(model: config.test.model[0], multiLevel: config.test.multiLevel[0])
        var caches = try config.targets.indices.map {
            try ResultCache(directory: directory, target: config.targets[$0], set: config.test.setTarget[$0])
        }
        var bestPerTarget = [(mIoU: Double, checkpoint: String)](repeating: (-.infinity, ""), count: config.targetCount)
        var bestAverage = (mIoU: -Double.infinity, checkpoint: "")
        var bestResults: [TargetBest?] = Array(repeating: nil, count: config.targetCount)
        var bestAverageResults: CheckpointResults?
        var evaluated: [CheckpointResults] = []
        for iteration in stride(from: config.test.snapshotStep, to: config.test.snapshotMaxIter, by: config.test.snapshotStep) {
            let stem = directory + "/" + TrainingCheckpoint.modelStem(iteration)
            // Our snapshot, or upstream's `model_<i>.pth` in a folder of MTAF's (read natively).
            func snapshot() throws -> String? {
                for candidate in [stem + ".safetensors", stem + ".pth"] {
                    if try existsOnRoot(candidate) { return candidate }
                }
                return nil
            }
            var found = try snapshot()
            if found == nil {
                guard config.test.waitModel else {
                    log0("\(stem).safetensors is missing and TEST.WAIT_MODEL is False: stopping the scan")
                    break
                }
                log0("Waiting for model..! (\(stem).safetensors)")
                repeat {
                    Thread.sleep(forTimeInterval: pollSeconds)
                    found = try snapshot()
                } while found == nil
            }
            let checkpoint = found!
            try ModelCheckpoint.load(segmenter.stateDict, from: checkpoint, note: note0)
            var results: [TargetResult] = []
            for t in 0 ..< config.targetCount {
                if let cached = caches[t].results[iteration] {
                    results.append(cached)
                } else {
                    let result = try evaluate([WeightedSegmenter(segmenter)], target: t, savePredictions: false)
                    caches[t].results[iteration] = result
                    if cluster.isRoot { try caches[t].write() }
                    results.append(result)
                }
                let result = results[t]
                if result.mIoU > bestPerTarget[t].mIoU {
                    bestPerTarget[t] = (result.mIoU, checkpoint)
                    bestResults[t] = TargetBest(target: result.target, checkpoint: checkpoint, result: result)
                }
                log0("Target: \(result.target)")
                log0("\tCurrent mIoU: \(format(result.mIoU))")
                log0("\tCurrent best model: \(bestPerTarget[t].checkpoint)")
                log0("\tCurrent best mIoU: \(format(bestPerTarget[t].mIoU))")
                printClasses(result)
            }
            let all = CheckpointResults(checkpoint: checkpoint, targets: results)
            let average = all.average
            if average > bestAverage.mIoU {
                bestAverage = (average, checkpoint)
                bestAverageResults = all
            }
            log0("Multi-target: \(config.targets.joined(separator: ", "))")
            log0("\tCurrent mIoU: \(format(average))")
            log0("\tCurrent best model: \(bestAverage.checkpoint)")
            log0("\tCurrent best mIoU: \(format(bestAverage.mIoU))")
            evaluated.append(all)
        }
        if predictionDirectory != nil || export != nil || logitsDirectory != nil {
            for (t, best) in bestResults.enumerated() {
                guard let best else { continue }
                try ModelCheckpoint.load(segmenter.stateDict, from: best.checkpoint, note: note0)
                _ = try evaluate([WeightedSegmenter(segmenter)], target: t, savePredictions: true)
            }
        }
        return TestReport(mode: "best", targets: config.targets, classNames: classNames, evaluated: evaluated,
                          bestPerTarget: bestResults.compactMap { $0 }, bestAverage: bestAverageResults)
    }

    private func printClasses(_ result: TargetResult) {
        for (name, value) in zip(result.classNames, result.iou) {
            log0("\(name)\t\(format(ConfusionMatrix.roundedPercent(value)))")
        }
    }

    private func format(_ value: Double) -> String {
        value.isNaN ? "nan" : String(format: "%.2f", value)
    }

    private func log0(_ line: String) {
        if cluster.isRoot { log(line) }
    }

    /// What reading a `.pth` checkpoint did (an unwrapped dict, a dropped DataParallel prefix),
    /// on standard error from rank 0 only.
    private func note0(_ line: String) {
        if cluster.isRoot { printToStandardError(line) }
    }
}

/// Best mode's per-target cache (upstream's `all_res.pkl`, here JSON): iteration → results.
/// Upstream's name holds the validation set's results; another set (e.g. the synthetic benchmark's
/// `tune`) gets its own file, `all_res_<set>.json`, so results of different sets never mix.
struct ResultCache {
    let path: String
    var results: [Int: TargetResult]

    init(directory: String, target: String, set: String) throws {
        let folder = directory + "/" + target
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        path = folder + (["val", "validation"].contains(set) ? "/all_res.json" : "/all_res_\(set).json")
        if let data = FileManager.default.contents(atPath: path) {
            let decoded = try JSONDecoder().decode([String: TargetResult].self, from: data)
            results = Dictionary(uniqueKeysWithValues: decoded.compactMap { key, value in Int(key).map { ($0, value) } })
        } else {
            results = [:]
        }
    }

    func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(Dictionary(uniqueKeysWithValues: results.map { (String($0.key), $0.value) }))
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
