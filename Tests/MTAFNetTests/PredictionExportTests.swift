import Distributed
import Foundation
import XCTest
@testable import MTAFNet

/// `test --export` and `--save-logits`: file names, the train id → Cityscapes label id maps,
/// full-resolution predictions that reproduce our confusion matrix, and saved logits equal to the
/// model's.
final class PredictionExportTests: XCTestCase {
    /// Native size 64×32 (TinyBenchmark), two validation images per target.
    private static let root = TinyBenchmark.generate(sourceImages: 4, targetTrainImages: 2, targetValImages: 2)
    private static let native = ImageSize(width: 64, height: 32)

    /// A source-only model trained 3 iterations (snapshot model_2), shared by the tests.
    private static let snapshots: String = {
        let folder = root + "/run-export"
        let settings = try! TinyBenchmark.config(root: root, framework: "SourceOnly", snapshots: folder,
                                                 overrides: ["TRAIN.EARLY_STOP=3"])
        _ = try! Trainer(config: settings, cluster: LocalCluster(), log: { _ in }).run()
        return folder
    }()

    /// Single mode on the trained snapshot, Mapillary labels kept at native resolution.
    private func testConfig(_ overrides: [String] = []) throws -> MTAFConfig {
        try TinyBenchmark.config(root: Self.root, framework: "SourceOnly", snapshots: Self.snapshots,
                                 overrides: ["TEST.MODE=single", "TEST.RESTORE_FROM=[\(Self.snapshots)/model_2.safetensors]",
                                             "TEST.SCALE_LABEL=False"] + overrides)
    }

    private func trainedModel(_ runner: TestRunner) throws -> WeightedSegmenter {
        let segmenter = runner.makeSegmenter(model: "DeepLabv2", multiLevel: true)
        try ModelCheckpoint.load(segmenter.stateDict, from: Self.snapshots + "/model_2.safetensors")
        return WeightedSegmenter(segmenter)
    }

    func testExportFileNamesFollowTheListEntries() {
        // The evaluator's getPrediction looks for "<city>_<seq>_<frame>*.png" under CITYSCAPES_RESULTS.
        XCTAssertEqual(PredictionExporter.relativePath(ofEntry: "frankfurt/frankfurt_000000_000294_leftImg8bit.png"),
                       "frankfurt/frankfurt_000000_000294_leftImg8bit.png")
        XCTAssertEqual(PredictionExporter.relativePath(ofEntry: "30/067149_leftImg8bit.png"), "30/067149_leftImg8bit.png")
        XCTAssertEqual(PredictionExporter.relativePath(ofEntry: "synthetic_000003.jpg"), "synthetic_000003.png")
        XCTAssertEqual(LogitsWriter.relativePath(ofEntry: "frankfurt/frankfurt_000000_000294_leftImg8bit.png"),
                       "frankfurt/frankfurt_000000_000294_leftImg8bit.safetensors")
        XCTAssertEqual(LogitsWriter.relativePath(ofEntry: "../x/a.b.jpg"), "x/a.b.safetensors")
    }

    /// Each exported label id maps back to its train id through the Cityscapes table (spec
    /// Appendix B.1); the 7 categories use road, building, pole, vegetation, sky, person, car.
    func testLabelIDsInvertTheCityscapesTables() throws {
        XCTAssertEqual(try LabelMaps.cityscapesLabelIDs(numClasses: 19),
                       [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33])
        XCTAssertEqual(try LabelMaps.cityscapesLabelIDs(numClasses: 7), [7, 11, 17, 21, 23, 24, 26])
        for classes in [19, 16, 7] {
            var values = try LabelMaps.cityscapesLabelIDs(numClasses: classes).map(Int32.init)
            XCTAssertEqual(values.count, classes)
            try LabelMaps.cityscapes(numClasses: classes).apply(&values)
            XCTAssertEqual(values, (0 ..< Int32(classes)).map { $0 }, "\(classes) classes")
        }
        XCTAssertThrowsError(try LabelMaps.cityscapesLabelIDs(numClasses: 5)) { error in
            XCTAssertEqual("\(error)", "Cityscapes label-id export: no label map for NUM_CLASSES 5")
        }
        XCTAssertThrowsError(try PredictionExporter(directory: "x", classCount: 5, format: .cityscapes, weights: [1]))
        XCTAssertNoThrow(try PredictionExporter(directory: "x", classCount: 5, format: .trainids, weights: [1]))
    }

    /// Mapillary's full resolution: the native label padded to the label aspect ratio (spec §7.5),
    /// cropped back to the native size; Cityscapes': the label file's own size.
    func testFullResolutionGeometryOfTheDatasets() throws {
        let data = Self.root + "/data"
        let wide = ImageSize(width: 64, height: 16)
        let mapillary = try MapillaryDataset(root: data + "/Mapillary", set: "validation",
                                             options: DatasetOptions(imageSize: wide, labelSize: wide, numClasses: 7,
                                                                     scaleLabel: false))
        XCTAssertEqual(try mapillary.sample(0).fullResolution,
                       FullResolution(size: Self.native, canvas: ImageSize(width: 128, height: 32)))
        let small = ImageSize(width: 32, height: 16)
        let cityscapes = try CityscapesDataset(root: data + "/Cityscapes", listPath: data + "/cityscapes_list/val.txt",
                                               set: "val", options: DatasetOptions(imageSize: small, labelSize: small))
        let sample = try cityscapes.sample(1)
        XCTAssertEqual(sample.label?.size, small)
        XCTAssertEqual(sample.fullResolution, FullResolution(size: Self.native))
        let unlabelled = try CityscapesDataset(root: data + "/Cityscapes", listPath: data + "/cityscapes_list/val.txt",
                                               set: "val", options: DatasetOptions(imageSize: small, readLabels: false))
        XCTAssertNil(try unlabelled.sample(0).fullResolution)
    }

    /// A canvas wider than the ground truth: the prediction over the canvas, its left columns kept.
    func testExporterCropsTheCanvasTopLeft() throws {
        // Two classes over 4 columns: class 1 wins on the left half, class 0 on the right.
        let logits = Tensor(shape: [1, 2, 1, 4], values: [0, 0, 1, 1, 1, 1, 0, 0])
        let sample = SegmentationSample(image: Tensor(shape: [3, 1, 1]), label: nil, name: "a.jpg",
                                        fullResolution: FullResolution(size: ImageSize(width: 5, height: 2),
                                                                       canvas: ImageSize(width: 8, height: 2)))
        let exporter = try PredictionExporter(directory: "unused", classCount: 2, format: .trainids, weights: [1])
        let canvas = Evaluator.predict(logits: [logits], weights: [1], classCount: 2, height: 2, width: 8)
        XCTAssertEqual(canvas, [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0])
        let cropped = try exporter.prediction(of: sample, mainLogits: [logits])
        XCTAssertEqual(cropped.size, ImageSize(width: 5, height: 2))
        XCTAssertEqual(cropped.values, [1, 1, 1, 1, 0, 1, 1, 1, 1, 0])
        let noGeometry = SegmentationSample(image: Tensor(shape: [3, 1, 1]), label: nil, name: "b.jpg")
        XCTAssertThrowsError(try exporter.prediction(of: noGeometry, mainLogits: [logits])) { error in
            XCTAssertTrue("\(error)".contains("'b.jpg'"), "\(error)")
        }
    }

    /// Scored at the ground truth's size, the label-id export read back through the Cityscapes
    /// table and counted against the full-resolution labels gives our confusion matrix, count for
    /// count, on every target; the saved logits are the model's main logits.
    func testCityscapesExportReproducesOurConfusionMatrixAndLogitsAreTheModels() throws {
        let settings = try testConfig()
        let export = Self.snapshots + "/export-\(UUID().uuidString)", logits = Self.snapshots + "/logits-\(UUID().uuidString)"
        var lines: [String] = []
        let runner = TestRunner(config: settings, cluster: LocalCluster(), log: { lines.append($0) })
        runner.export = (export, .cityscapes)
        runner.logitsDirectory = logits
        let report = try runner.runReport()
        XCTAssertFalse(lines.contains { $0.hasPrefix("export:") }, "the label size is the ground truth's: no warning")
        let model = try trainedModel(runner)
        let backToTrainIDs = try LabelMaps.cityscapes(numClasses: 7)
        var predictedClasses = Set<Int32>()
        for (t, target) in settings.targets.enumerated() {
            let dataset = try DatasetFactory.testTarget(settings, index: t)
            let ours = try Evaluator.confusion(models: [model], dataset: dataset, classCount: 7,
                                               indices: Array(0 ..< dataset.count))
            var theirs = ConfusionMatrix(classCount: 7)
            for index in 0 ..< dataset.count {
                let sample = try dataset.sample(index)
                let label = try XCTUnwrap(sample.label)
                XCTAssertEqual(sample.fullResolution?.size, Self.native)
                let path = export + "/" + target + "/" + PredictionExporter.relativePath(ofEntry: sample.name)
                var exported = try PNG.readLabels(atPath: path)
                XCTAssertEqual(exported.size, Self.native, path)
                XCTAssertTrue(Set(exported.values).isSubset(of: [7, 11, 17, 21, 23, 24, 26]), path)
                backToTrainIDs.apply(&exported.values)
                predictedClasses.formUnion(exported.values)
                label.values.withUnsafeBufferPointer { truth in
                    exported.values.withUnsafeBufferPointer { theirs.add(labels: truth, predictions: $0) }
                }

                let file = try SafeTensors.read(contentsOf: logits + "/" + target + "/" + LogitsWriter.relativePath(ofEntry: sample.name))
                XCTAssertEqual(file.metadata["entry"], sample.name)
                let saved = try file.tensor("logits")
                let expected = model.segmenter.evaluationLogits(sample.image.reshaped([1] + sample.image.shape))
                XCTAssertEqual(saved.shape, Array(expected.shape.dropFirst()))
                XCTAssertEqual(saved.shape[0], 7)
                XCTAssertEqual(saved.scalars, expected.scalars, "\(target) \(sample.name)")
            }
            XCTAssertEqual(theirs.counts, ours.counts, target)
            XCTAssertGreaterThan(theirs.counts.reduce(0, +), 0, target)
            let reported = report.evaluated[0].targets[t]
            XCTAssertEqual(reported.iou.map { $0.isNaN ? -1 : $0 }, theirs.perClassIoU.map { $0.isNaN ? -1 : $0 }, target)
        }
        XCTAssertGreaterThan(predictedClasses.count, 1, "a trained model predicts more than one class")
    }

    /// Scored below the ground truth's size, the export stays at full resolution (train ids, the
    /// logits upsampled to 64×32) and the run says the official scores will differ.
    func testTrainIDExportStaysAtFullResolutionWhenScoredSmaller() throws {
        let settings = try testConfig(["TEST.OUTPUT_SIZE_TARGET=[32, 16]"])
        let export = Self.snapshots + "/export-\(UUID().uuidString)"
        var lines: [String] = []
        let runner = TestRunner(config: settings, cluster: LocalCluster(), log: { lines.append($0) })
        runner.export = (export, .trainids)
        _ = try runner.runReport()
        XCTAssertTrue(lines.contains { $0.hasPrefix("export: Cityscapes is scored at TEST.OUTPUT_SIZE_TARGET 32x16 but its ground truth is 64x32") },
                      lines.joined(separator: "\n"))
        XCTAssertEqual(lines.filter { $0.hasPrefix("export: Cityscapes") }.count, 1, "reported once per target")
        let model = try trainedModel(runner)
        let dataset = try DatasetFactory.testTarget(settings, index: 0)
        let sample = try dataset.sample(1)
        XCTAssertEqual(sample.label?.size, ImageSize(width: 32, height: 16))
        let exported = try PNG.readLabels(atPath: export + "/Cityscapes/" + PredictionExporter.relativePath(ofEntry: sample.name))
        let expected = Evaluator.predict(models: [model], input: sample.image.reshaped([1] + sample.image.shape),
                                         classCount: 7, height: 32, width: 64)
        XCTAssertEqual(exported.size, Self.native)
        XCTAssertEqual(exported.values, expected)
    }
}
