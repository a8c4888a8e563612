import Distributed
import Foundation
import XCTest
@testable import MTAFNet

/// Outputs of training and testing on a tiny synthetic benchmark: TensorBoard events of a short
/// run, prediction PNGs and result tables from the test runner.
final class TrainingOutputTests: XCTestCase {
    private static let root = TinyBenchmark.generate(sourceImages: 4, targetTrainImages: 2, targetValImages: 2)

    /// The tiny benchmark's config, 3 iterations, TensorBoard on, best mode over snapshot 2.
    private func config(_ framework: String, snapshots: String, overrides: [String] = []) throws -> MTAFConfig {
        try TinyBenchmark.config(root: Self.root, framework: framework, snapshots: snapshots,
                                 overrides: ["LOG.TENSORBOARD=True", "TRAIN.EARLY_STOP=3", "TEST.SNAPSHOT_MAXITER=4",
                                             "TEST.WAIT_MODEL=False"] + overrides)
    }

    private func folder() -> String { Self.root + "/run-\(UUID().uuidString)" }

    /// A 3-iteration Baseline run: one scalar event per loss and iteration with the logged value,
    /// and at iteration 1 (imageEvery 2) the three images of the source and of each target.
    func testObserverWritesScalarsEveryIterationAndImagesPeriodically() throws {
        let snapshots = folder()
        let settings = try config("Baseline", snapshots: snapshots)
        let observer = try TensorBoardObserver(directory: TensorBoardObserver.directory(for: settings),
                                               targets: settings.targets, classCount: settings.numClasses,
                                               imageMeanBGR: settings.train.imgMean, imageEvery: 2, writes: true)
        let trainer = Trainer(config: settings, cluster: LocalCluster(), log: { _ in })
        trainer.observers.append(observer)
        let summary = try trainer.run()
        let losses = try XCTUnwrap(summary.lastLosses)

        let path = try XCTUnwrap(observer.writer?.path)
        XCTAssertTrue(path.hasPrefix(snapshots + "/tensorboard/events.out.tfevents."))
        let events = try EventFileReader.events(atPath: path)
        XCTAssertEqual(events.first?.fileVersion, "brain.Event:2")
        XCTAssertEqual(events[1].sessionStatus, 1, "a SessionLog START before the first iteration")
        XCTAssertEqual(events[1].step, 0)
        let scalars = events.filter { $0.values.first?.simpleValue != nil }
        XCTAssertEqual(scalars.count, 3 * losses.entries.count)
        XCTAssertEqual(scalars.map(\.step), (0 ..< 3).flatMap { Array(repeating: $0, count: losses.entries.count) })
        XCTAssertEqual(scalars.suffix(losses.entries.count).map { $0.values[0].tag },
                       losses.entries.map { "data/\($0.name)" })
        XCTAssertEqual(scalars.suffix(losses.entries.count).map { $0.values[0].simpleValue! },
                       losses.entries.map { Float($0.value) })
        // The scalars agree with the JSONL loss log.
        let log = try String(contentsOfFile: snapshots + "/losses.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(log.count, 3)

        let images = events.filter { $0.values.first?.png != nil }
        let kinds = ["S", "T Cityscapes", "T Mapillary", "T IDD"]
        XCTAssertEqual(images.map { $0.values[0].tag },
                       kinds.flatMap { ["Image - \($0)", "Prediction - \($0)", "Entropy - \($0)"] })
        XCTAssertTrue(images.allSatisfy { $0.step == 1 })
        for event in images {
            let value = event.values[0]
            XCTAssertEqual([value.imageWidth, value.imageHeight], [64, 32], value.tag)
            XCTAssertEqual(value.imageColorspace, value.tag.hasPrefix("Entropy") ? 1 : 3, value.tag)
            let png = snapshots + "/check.png"
            try Data(value.png!).write(to: URL(fileURLWithPath: png))
            let decoded = try PNG.readRGB(atPath: png)
            XCTAssertEqual(decoded.size, ImageSize(width: 64, height: 32))
            if value.tag.hasPrefix("Prediction") {
                let classes = Colorize.classes(of: decoded, classCount: settings.numClasses)
                XCTAssertTrue(classes.values.allSatisfy { $0 >= 0 && $0 < settings.numClasses }, value.tag)
            }
        }
        // The source image is the batch input with the preprocessing undone: not a flat image.
        let sourcePNG = snapshots + "/source.png"
        try Data(images[0].values[0].png!).write(to: URL(fileURLWithPath: sourcePNG))
        XCTAssertGreaterThan(Set(try PNG.readRGB(atPath: sourcePNG).pixels).count, 10)
    }

    /// TRAIN.TENSORBOARD_VIZRATE sets the image interval of the config's observer: 1 draws the
    /// source's three images (a source-only run has no target batches) at every iteration (steps
    /// 0, 1, 2), the default 100 none in 3 iterations.
    func testVizrateSetsTheImageInterval() throws {
        for (vizrate, steps) in [(1, [0, 1, 2]), (100, [])] {
            let snapshots = folder()
            var overrides = ["TRAIN.EARLY_STOP=3"]
            if vizrate != 100 { overrides.append("TRAIN.TENSORBOARD_VIZRATE=\(vizrate)") }
            let settings = try config("SourceOnly", snapshots: snapshots, overrides: overrides)
            XCTAssertEqual(settings.train.tensorboardVizrate, vizrate)
            let observer = try TensorBoardObserver(config: settings, writes: true)
            XCTAssertEqual(observer.imageEvery, vizrate)
            let trainer = Trainer(config: settings, cluster: LocalCluster(), log: { _ in })
            trainer.observers.append(observer)
            _ = try trainer.run()
            let events = try EventFileReader.events(atPath: try XCTUnwrap(observer.writer?.path))
            let images = events.filter { $0.values.first?.png != nil }
            XCTAssertEqual(images.map(\.step), steps.flatMap { Array(repeating: $0, count: 3) }, "VIZRATE \(vizrate)")
        }
    }

    /// Drawing the eval-mode predictions every iteration leaves training unchanged: the snapshot
    /// equals that of a run without the observer, tensor for tensor (BN running statistics and
    /// num_batches_tracked included).
    func testObserverDoesNotChangeTraining() throws {
        let watched = folder(), plain = folder()
        let settings = try config("Baseline", snapshots: watched)
        let trainer = Trainer(config: settings, cluster: LocalCluster(), log: { _ in })
        trainer.observers.append(try TensorBoardObserver(directory: watched + "/tensorboard", targets: settings.targets,
                                                         classCount: settings.numClasses,
                                                         imageMeanBGR: settings.train.imgMean, imageEvery: 1,
                                                         writes: true))
        _ = try trainer.run()
        _ = try Trainer(config: try config("Baseline", snapshots: plain), cluster: LocalCluster(), log: { _ in }).run()
        let left = try SafeTensors.read(contentsOf: watched + "/model_2.safetensors")
        let right = try SafeTensors.read(contentsOf: plain + "/model_2.safetensors")
        XCTAssertEqual(left.names.sorted(), right.names.sorted())
        for name in left.names {
            if left.entries[name]!.dtype == .i64 {
                XCTAssertEqual(try left.int64s(name).values, try right.int64s(name).values, name)
            } else {
                XCTAssertEqual(try left.tensor(name).scalars, try right.tensor(name).scalars, name)
            }
        }
    }

    /// Undoing the preprocessing gives back the bytes an image was preprocessed from.
    func testInputImageUndoesThePreprocessing() {
        let rgb = PixelImage(width: 3, height: 2, channels: 3, pixels: (0 ..< 18).map { UInt8($0 * 14) })
        let tensor = Preprocess.imageTensor(rgb)
        XCTAssertEqual(TrainingImages.inputImage(tensor.reshaped([1, 3, 2, 3]), meanBGR: Preprocess.imageMeanBGR), rgb)
    }

    /// Only the writing rank creates files.
    func testObserverOnOtherRanksWritesNothing() throws {
        let directory = folder() + "/tensorboard"
        let observer = try TensorBoardObserver(directory: directory, targets: ["IDD"], classCount: 7,
                                               imageMeanBGR: Preprocess.imageMeanBGR, writes: false)
        XCTAssertNil(observer.writer)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory))
    }

    /// `test` in best mode after a short run: results_best.json / results_best.md tables and, with a
    /// prediction folder, each target's best-checkpoint predictions as color and gray PNGs that
    /// reproduce the cached IoUs.
    func testTestRunnerWritesPredictionsAndTables() throws {
        let snapshots = folder()
        let settings = try config("SourceOnly", snapshots: snapshots, overrides: ["TRAIN.EARLY_STOP=3"])
        _ = try Trainer(config: settings, cluster: LocalCluster(), log: { _ in }).run()
        var lines: [String] = []
        let runner = TestRunner(config: settings, cluster: LocalCluster(), log: { lines.append($0) })
        let predictions = snapshots + "/predictions"
        runner.predictionDirectory = predictions
        let report = try runner.runReport()
        XCTAssertEqual(report.evaluated.map(\.checkpoint), [snapshots + "/model_2.safetensors"])
        XCTAssertEqual(report.bestPerTarget.map(\.target), settings.targets)
        XCTAssertEqual(report.bestAverage?.checkpoint, snapshots + "/model_2.safetensors")
        XCTAssertTrue(lines.contains("Multi-target: Cityscapes, Mapillary, IDD"))

        for (t, target) in settings.targets.enumerated() {
            let dataset = try DatasetFactory.testTarget(settings, index: t)
            var matrix = ConfusionMatrix(classCount: settings.numClasses)
            for index in 0 ..< dataset.count {
                let sample = try dataset.sample(index)
                let stem = predictions + "/" + target + "/" + PredictionWriter.stem(ofEntry: sample.name)
                let color = try PNG.readRGB(atPath: stem + "_color.png")
                let gray = try PNG.readLabels(atPath: stem + "_pred.png")
                let label = try XCTUnwrap(sample.label)
                XCTAssertEqual(gray.size, label.size)
                XCTAssertEqual(Colorize.classes(of: color, classCount: settings.numClasses).values, gray.values)
                label.values.withUnsafeBufferPointer { truth in
                    gray.values.withUnsafeBufferPointer { matrix.add(labels: truth, predictions: $0) }
                }
            }
            let best = report.bestPerTarget[t].result
            XCTAssertEqual(matrix.meanIoUPercent, best.mIoU, target)
        }

        let paths = try report.write(toDirectory: snapshots)
        let markdown = try String(contentsOfFile: paths.markdown, encoding: .utf8)
        XCTAssertTrue(markdown.contains("## Best average: `\(snapshots)/model_2.safetensors`"))
        for name in LabelMaps.classNames7 { XCTAssertTrue(markdown.contains("| \(name) | "), name) }
        let decoded = try JSONDecoder().decode(TestReport.self, from: Data(contentsOf: URL(fileURLWithPath: paths.json)))
        XCTAssertEqual(decoded.bestPerTarget.map(\.checkpoint), report.bestPerTarget.map(\.checkpoint))
        XCTAssertEqual(decoded.evaluated[0].targets.map(\.mIoU), report.evaluated[0].targets.map(\.mIoU))
    }
}
