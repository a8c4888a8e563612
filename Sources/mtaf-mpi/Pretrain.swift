import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi pretrain`: the stand-in for ImageNet pretraining (docs/pretraining.md). Trains
    /// the config's segmenter source-only on the pretext data with the `train` loop (one
    /// process), scores the held-out pretext images, and writes the backbone in upstream's
    /// ImageNet-init layout (`PretrainedBackbone`, spec §2.8).
    struct Pretrain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a segmenter source-only on the pretext data (make-data --pretext) and write its backbone "
                + "as an ImageNet-init checkpoint for TRAIN.RESTORE_FROM (docs/pretraining.md).")

        @OptionGroup var config: ConfigOptions

        @OptionGroup var precision: PrecisionOption

        @Option(help: "The checkpoint to write; its path must contain DeepLab_resnet_pretrained_imagenet, so that TRAIN.RESTORE_FROM applies the ImageNet rule.")
        var out = "pretrained_models/\(ModelCheckpoint.imageNetMarker)_pretext.safetensors"

        func validate() throws {
            if !config.hasConfig { throw ValidationError("Please give a configuration file with --cfg FILE.") }
            do {
                try PretrainedBackbone.checkPath(out)
            } catch {
                throw ValidationError("--out \(error)")
            }
        }

        func run() throws {
            let (settings, cluster) = try config.startRun(command: "pretrain", precision: precision,
                                                           ampKey: ("TRAIN.AMP", \.train.amp))
            defer { try? cluster.finalize() }
            do {
                try checkPretext(settings)
                let folder = (out as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                let last = LastState()
                let trainer = Trainer(config: settings, cluster: cluster)
                trainer.observers.append(last)
                let summary = try trainer.run()
                guard let state = last.state else { throw PretrainError.nothingTrained(earlyStop: settings.train.earlyStop) }
                cluster.log0("pretrained iterations 0..<\(summary.endIteration) in " + String(format: "%.1f s", summary.seconds))
                var metadata = [
                    "format": "DeepLab-v2 backbone in upstream's ImageNet-init layout: \(PretrainedBackbone.keyPrefix)<state-dict key>, "
                        + "no classifier (layer5, layer6); TRAIN.RESTORE_FROM applies the ImageNet rule (spec §2.8)",
                    "model": "\(settings.train.model), blocks \(settings.modelBlocks), width \(settings.modelWidth)",
                    "iterations": "\(summary.endIteration)",
                    "seed": "\(settings.train.randomSeed)",
                    "final_losses": summary.lastLosses.map(Self.describe) ?? "",
                    "config": settings.yamlText,
                ]
                if let score = try scoreValidation(state.segmenter, settings) {
                    cluster.log0(score)
                    metadata["pretext_val"] = score
                }
                try PretrainedBackbone.save(state.segmenter.stateDict, to: out, metadata: metadata)
                cluster.log0("backbone: \(out)")
            } catch {
                printToStandardError("mtaf-mpi pretrain: \(error)")
                throw ExitCode.failure
            }
        }

        /// Refuses a config that is not source-only or whose pretext list is missing.
        private func checkPretext(_ settings: MTAFConfig) throws {
            guard settings.framework == .sourceOnly else {
                throw PretrainError.notSourceOnly(framework: settings.train.mtFramework)
            }
            let list = DatasetFactory.listPath(settings.dataListSource, set: settings.train.setSource)
            guard FileManager.default.fileExists(atPath: list) else { throw PretrainError.missingList(path: list) }
        }

        /// The mIoU and per-class IoU of the held-out pretext images (list `val`), nil when the
        /// data has no such list.
        private func scoreValidation(_ segmenter: Segmenter, _ settings: MTAFConfig) throws -> String? {
            guard let data = try DatasetFactory.sourceValidation(settings) else { return nil }
            let matrix = try Evaluator.confusion(models: [WeightedSegmenter(segmenter)], dataset: data,
                                                 classCount: settings.numClasses, indices: Array(0 ..< data.count))
            let classes = zip(SyntheticPretext.classNames, matrix.perClassIoU)
                .map { "\($0) " + String(format: "%.1f", 100 * $1) }.joined(separator: ", ")
            return "pretext val (\(data.count) images): mIoU " + String(format: "%.2f", matrix.meanIoUPercent) + " (\(classes))"
        }

        private static func describe(_ losses: IterationLosses) -> String {
            losses.entries.map { "\($0.name) " + String(format: "%.4f", $0.value) }.joined(separator: ", ")
        }
    }
}

/// Keeps the training state after the run's last iteration (the trainer's own object).
private final class LastState: TrainingObserver {
    var state: TrainingState?

    func iterationDidFinish(_ iteration: Int, losses: IterationLosses, batch: TrainingBatch, state: TrainingState) throws {
        self.state = state
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
            return "TRAIN.MT_FRAMEWORK is \(framework); pretraining is source-only on the pretext data: set SourceOnly"
        case let .missingList(path):
            let data = ((path as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent
            return "the pretext list \(path) does not exist: write the pretext data first with "
                + "`mtaf-mpi make-data --pretext --out \(data)`"
        case let .nothingTrained(earlyStop):
            return "no iteration ran (TRAIN.EARLY_STOP \(earlyStop)): nothing to write"
        }
    }
}
