import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi pretrain`: the stand-in for ImageNet pretraining (docs/pretraining.md). Trains
    /// the config's segmenter source-only on its source (the benchmark's source, or the pretext
    /// data) with the `train` loop (one process) and writes the backbone in upstream's
    /// ImageNet-init layout (`PretrainedBackbone`, spec §2.8). With a held-out source list
    /// (`val`), it stops early: the held-out images are scored every TRAIN.SAVE_PRED_EVERY
    /// iterations and at the end, and the file holds the best-scoring iteration's backbone.
    struct Pretrain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a segmenter source-only, keep the iteration that scores best on the held-out source images, "
                + "and write its backbone as an ImageNet-init checkpoint for TRAIN.RESTORE_FROM (docs/pretraining.md).")

        @OptionGroup var config: ConfigOptions

        @OptionGroup var precision: PrecisionOption

        @Option(help: "The checkpoint to write (default pretrained_models/DeepLab_resnet_pretrained_imagenet_<EXP_NAME>.safetensors); its path must contain DeepLab_resnet_pretrained_imagenet, so that TRAIN.RESTORE_FROM applies the ImageNet rule.")
        var out: String?

        func validate() throws {
            if !config.hasConfig { throw ValidationError("Please give a configuration file with --cfg FILE.") }
            do {
                if let out { try PretrainedBackbone.checkPath(out) }
            } catch {
                throw ValidationError("--out \(error)")
            }
        }

        func run() throws {
            let (settings, cluster) = try config.startRun(command: "pretrain", precision: precision,
                                                           ampKey: ("TRAIN.AMP", \.train.amp))
            defer { try? cluster.finalize() }
            let out = out ?? "pretrained_models/\(ModelCheckpoint.imageNetMarker)_\(settings.expName).safetensors"
            do {
                try checkSource(settings)
                let folder = (out as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                let selection = BestHeldOut(settings: settings, validation: try DatasetFactory.sourceValidation(settings),
                                            out: out, log: { cluster.log0($0) })
                let trainer = Trainer(config: settings, cluster: cluster)
                trainer.observers.append(selection)
                let summary = try trainer.run()
                cluster.log0("pretrained iterations 0..<\(summary.endIteration) in " + String(format: "%.1f s", summary.seconds))
                guard let kept = selection.kept else { throw PretrainError.nothingTrained(earlyStop: settings.train.earlyStop) }
                cluster.log0("backbone: \(out) (after iteration \(kept))")
            } catch {
                printToStandardError("mtaf-mpi pretrain: \(error)")
                throw ExitCode.failure
            }
        }

        /// Refuses a config that is not source-only or whose source list is missing.
        private func checkSource(_ settings: MTAFConfig) throws {
            guard settings.framework == .sourceOnly else {
                throw PretrainError.notSourceOnly(framework: settings.train.mtFramework)
            }
            let list = DatasetFactory.listPath(settings.dataListSource, set: settings.train.setSource)
            guard FileManager.default.fileExists(atPath: list) else { throw PretrainError.missingList(path: list) }
        }
    }
}

/// Early stopping on the held-out source images: scores them every TRAIN.SAVE_PRED_EVERY
/// iterations and after the last one, and writes the backbone (atomically, replacing the file)
/// whenever the mIoU beats every earlier score (ties keep the earlier iteration). Without a
/// held-out list, the last iteration's backbone is written.
private final class BestHeldOut: TrainingObserver {
    let settings: MTAFConfig
    let validation: (any SegmentationDataset)?
    let out: String
    let log: (String) -> Void
    /// The iteration whose backbone the file holds.
    private(set) var kept: Int?
    private var bestMIoU = -Double.infinity

    init(settings: MTAFConfig, validation: (any SegmentationDataset)?, out: String, log: @escaping (String) -> Void) {
        self.settings = settings
        self.validation = validation
        self.out = out
        self.log = log
    }

    func iterationDidFinish(_ iteration: Int, losses: IterationLosses, batch: TrainingBatch, state: TrainingState) throws {
        let last = iteration + 1 == settings.train.earlyStop
        let due = (iteration + 1) % max(1, settings.train.savePredEvery) == 0
        guard last || (due && validation != nil) else { return }
        var heldOut: String?
        if let data = validation {
            let matrix = try Evaluator.confusion(models: [WeightedSegmenter(state.segmenter)], dataset: data,
                                                 classCount: settings.numClasses, indices: Array(0 ..< data.count))
            let perClass = matrix.perClassIoU.map { String(format: "%.1f", 100 * $0) }.joined(separator: ", ")
            let score = "held-out source (\(data.count) images) after iteration \(iteration): mIoU "
                + String(format: "%.2f", matrix.meanIoUPercent) + " (per train id: \(perClass))"
            log(score)
            guard matrix.meanIoUPercent > bestMIoU else { return }
            bestMIoU = matrix.meanIoUPercent
            heldOut = score
        }
        var metadata = [
            "format": "DeepLab-v2 backbone in upstream's ImageNet-init layout: \(PretrainedBackbone.keyPrefix)<state-dict key>, "
                + "no classifier (layer5, layer6); TRAIN.RESTORE_FROM applies the ImageNet rule (spec §2.8)",
            "model": "\(settings.train.model), blocks \(settings.modelBlocks), width \(settings.modelWidth)",
            "iterations": "\(iteration + 1)",
            "seed": "\(settings.train.randomSeed)",
            "losses": losses.entries.map { "\($0.name) " + String(format: "%.4f", $0.value) }.joined(separator: ", "),
            "config": settings.yamlText,
        ]
        metadata["held_out_source"] = heldOut
        try PretrainedBackbone.save(state.segmenter.stateDict, to: out, metadata: metadata)
        kept = iteration
    }
}

/// Why `pretrain` refused a configuration or wrote nothing.
enum PretrainError: Error, CustomStringConvertible {
    case notSourceOnly(framework: String)
    case missingList(path: String)
    case nothingTrained(earlyStop: Int)

    var description: String {
        switch self {
        case let .notSourceOnly(framework):
            return "TRAIN.MT_FRAMEWORK is \(framework); pretraining is source-only: set SourceOnly"
        case let .missingList(path):
            let data = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
            return "the source list \(path) does not exist: write the data first, for the pretext data with "
                + "`mtaf-mpi make-data --pretext --out \(data)`"
        case let .nothingTrained(earlyStop):
            return "no iteration ran (TRAIN.EARLY_STOP \(earlyStop)): nothing to write"
        }
    }
}
