// DistinctBenchmarkConfigTests: the distinct-targets benchmark's configs (docs/benchmark.md) and
// its committed start: every framework's config names the committed backbone, whose model matches
// the config, and trains from it (the ImageNet rule loads the backbone, BN counters continue from
// the file's, the heads keep their own initialization) on a tiny copy of the distinct data.

import Distributed
import Foundation
import XCTest
@testable import MTAFNet

final class DistinctBenchmarkConfigTests: XCTestCase {
    static let frameworks = ["source_only", "baseline", "mdis", "mtkt"]

    /// The repository root (configs/ lives there).
    static let root = ConfigTests.configsDirectory.deletingLastPathComponent().path

    func testConfigsNameTheCommittedStartOfTheirModel() throws {
        let pretrain = try MTAFConfig.load(file: ConfigTests.path("distinct_source_pretrain.yml"))
        XCTAssertEqual(pretrain.framework, .sourceOnly)
        XCTAssertEqual(pretrain.dataDirectorySource, "data/distinct/GTA5")
        for name in Self.frameworks {
            let config = try MTAFConfig.load(file: ConfigTests.path("distinct_\(name).yml"))
            XCTAssertEqual(config.dataDirectorySource, "data/distinct/GTA5", name)
            XCTAssertEqual(config.train.restoreFrom,
                           "pretrained_models/\(ModelCheckpoint.imageNetMarker)_\(pretrain.expName).safetensors", name)
            XCTAssertEqual([config.modelWidth] + config.modelBlocks, [pretrain.modelWidth] + pretrain.modelBlocks, name)
            let file = try SafeTensors.read(contentsOf: Self.root + "/" + config.train.restoreFrom)
            XCTAssertEqual(file.metadata["model"],
                           "DeepLabv2, blocks \(config.modelBlocks), width \(config.modelWidth)", name)
            XCTAssertTrue(file.names.allSatisfy { $0.hasPrefix(PretrainedBackbone.keyPrefix) }, name)
        }
    }

    func testEveryFrameworkTrainsFromTheCommittedStart() throws {
        let root = try makeTemporaryDirectory(self)
        var options = SyntheticBenchmark.Options()
        options.outputDirectory = root + "/data"
        options.shifts = .distinct
        options.sourceImages = 2
        options.targetTrainImages = 2
        options.targetValImages = 1
        options.targetTuneImages = 0
        options.size = ImageSize(width: 160, height: 80)
        _ = try SyntheticBenchmark.generate(options)
        let data = root + "/data"
        for name in Self.frameworks {
            let snapshots = root + "/" + name
            let config = try MTAFConfig.load(file: ConfigTests.path("distinct_\(name).yml"), overrides: [
                "DATA_LIST_SOURCE='\(data)/gta5_list/{}.txt'", "DATA_DIRECTORY_SOURCE=\(data)/GTA5",
                "DATA_LIST_TARGET=['\(data)/cityscapes_list/{}.txt', '', '\(data)/idd_list/{}.txt']",
                "DATA_DIRECTORY_TARGET=[\(data)/Cityscapes, \(data)/Mapillary, \(data)/IDD]",
                "TRAIN.BATCH_SIZE_SOURCE=1", "TRAIN.BATCH_SIZE_TARGET=1", "TRAIN.EARLY_STOP=1",
                "TRAIN.SNAPSHOT_DIR=\(snapshots)",
            ])
            let start = try SafeTensors.read(contentsOf: Self.root + "/" + config.train.restoreFrom)
            var absolute = config
            absolute.train.restoreFrom = Self.root + "/" + config.train.restoreFrom
            let summary = try Trainer(config: absolute, cluster: LocalCluster(), log: { _ in }).run()
            XCTAssertEqual(summary.endIteration, 1, name)
            let losses = try XCTUnwrap(summary.lastLosses, name)
            XCTAssertNil(losses.firstNonFinite, "\(name): \(losses.upstreamLine(iteration: 0))")
            let model = try SafeTensors.read(contentsOf: snapshots + "/model_0.safetensors")
            // The file's own count plus this iteration's train-mode passes (the source batch, and
            // one per target for the adapting frameworks): the backbone came from the file.
            let started = try start.int64s("Scale.bn1.num_batches_tracked").values[0]
            let passes: Int64 = name == "source_only" ? 1 : 1 + 3
            XCTAssertEqual(try model.int64s("bn1.num_batches_tracked").values, [started + passes], name)
            XCTAssertGreaterThan(started, 0, name)
            // Its frozen BN affine parameters (spec §2.3) are the file's exactly.
            XCTAssertEqual(try model.tensor("layer1.0.bn1.weight").withUnsafeBufferPointer { Array($0) },
                           try start.tensor("Scale.layer1.0.bn1.weight").withUnsafeBufferPointer { Array($0) }, name)
        }
    }
}
