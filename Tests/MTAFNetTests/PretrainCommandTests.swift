// PretrainCommandTests: `mtaf-mpi pretrain` as a process on tiny pretext data with the shipped
// config (docs/pretraining.md): the file it writes, loading it by TRAIN.RESTORE_FROM's ImageNet
// rule into both segmenters, byte-identical reruns, and what it refuses.

import Foundation
import XCTest
@testable import MTAFNet

final class PretrainCommandTests: XCTestCase {
    /// 6 training and 2 held-out collages of 128×64 under a new temporary folder.
    private static let data: String = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pretext-\(UUID().uuidString)").path
        var options = SyntheticPretext.Options()
        options.outputDirectory = root
        options.trainImages = 6
        options.valImages = 2
        options.size = ImageSize(width: 128, height: 64)
        _ = try! SyntheticPretext.generate(options)
        return root
    }()

    private let configuration = DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 4, classes: 7)

    /// configs/pretext_pretrain.yml shrunk: width 4, 64×32 inputs, batches of 2, 4 iterations.
    private func pretrain(out: String, snapshots: String, data: String = PretrainCommandTests.data,
                          extra: [String] = []) throws -> (status: Int32, output: String) {
        let overrides = ["DATA_LIST_SOURCE='\(data)/gta5_list/{}.txt'", "DATA_DIRECTORY_SOURCE=\(data)/GTA5",
                         "MODEL_WIDTH=4", "TRAIN.BATCH_SIZE_SOURCE=2", "TRAIN.INPUT_SIZE_SOURCE=[64,32]",
                         "TRAIN.MAX_ITERS=4", "TRAIN.EARLY_STOP=4", "TRAIN.SNAPSHOT_DIR=\(snapshots)",
                         "TEST.INPUT_SIZE_TARGET=[64,32]", "TEST.OUTPUT_SIZE_TARGET=[64,32]"] + extra
        return try TrainProcess.run(["pretrain", "--cfg", ConfigTests.path("pretext_pretrain.yml"), "--out", out]
                                    + overrides.flatMap { ["--set", $0] })
    }

    /// Every float entry's values, keyed by state-dict key.
    private func values(_ stateDict: StateDict) -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for entry in stateDict.entries {
            if case let .floats(store, id) = entry.slot { out[entry.key] = store.withValues(id) { Array($0) } }
        }
        return out
    }

    /// The file holds the trained model's backbone under `Scale.` (running statistics and
    /// num_batches_tracked included, no classifier); RESTORE_FROM's rule loads it into DeepLab-v2
    /// and DeepLab-v2 MTKT, where every head keeps its own initialization; a rerun writes the same
    /// bytes.
    func testPretrainWritesTheBackboneInImageNetLayout() throws {
        let root = try makeTemporaryDirectory(self)
        let first = root + "/a/\(ModelCheckpoint.imageNetMarker)_tiny.safetensors"
        let run = try pretrain(out: first, snapshots: root + "/snapshots")
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("held-out source (2 images) after iteration 3: mIoU "), run.output)
        XCTAssertTrue(run.output.contains("backbone: \(first) (after iteration 3)"), run.output)

        let file = try SafeTensors.read(contentsOf: first)
        let model = DeepLabV2(configuration, random: RandomStream(seed: 0))
        let backboneKeys = model.stateDict.keys.filter { !$0.hasPrefix("layer5.") && !$0.hasPrefix("layer6.") }
        XCTAssertEqual(Set(file.names), Set(backboneKeys.map { "Scale." + $0 }))
        XCTAssertEqual(file.names.count, 102)   // conv1, bn1 (6) + 4 stages × 3 convs, 3 BNs, downsample conv and BN (24)
        XCTAssertEqual(try file.int64s("Scale.bn1.num_batches_tracked").values, [4])
        XCTAssertEqual(try file.tensor("Scale.layer4.0.bn3.running_var").shape, [128])
        XCTAssertEqual(file.metadata["iterations"], "4")
        XCTAssertEqual(file.metadata["seed"], "1234")
        XCTAssertEqual(file.metadata["model"], "DeepLabv2, blocks [1, 1, 1, 1], width 4")
        XCTAssertTrue(file.metadata["config"]?.contains("MODEL_WIDTH: 4") == true)
        XCTAssertTrue(file.metadata["losses"]?.hasPrefix("loss_seg_src_aux ") == true, "\(file.metadata)")

        // The trained model: the run's last snapshot (iteration 3).
        let trained = DeepLabV2(configuration, random: RandomStream(seed: 0))
        try ModelCheckpoint.load(trained.stateDict, from: root + "/snapshots/model_3.safetensors")
        let reference = values(trained.stateDict)

        let fresh = DeepLabV2(configuration, random: RandomStream(seed: 8))
        let own = values(fresh.stateDict)
        try ModelCheckpoint.restore(fresh.stateDict, from: first)
        for (key, value) in values(fresh.stateDict) {
            let isHead = key.hasPrefix("layer5.") || key.hasPrefix("layer6.")
            XCTAssertEqual(value, isHead ? own[key] : reference[key], key)
        }
        XCTAssertNotEqual(own["layer2.0.conv2.weight"], reference["layer2.0.conv2.weight"])
        XCTAssertEqual(fresh.batchNormLayers.map(\.numBatchesTracked), trained.batchNormLayers.map(\.numBatchesTracked))

        let mtkt = DeepLabV2MTKT(configuration, heads: 3, random: RandomStream(seed: 9))
        let mtktOwn = values(mtkt.stateDict)
        try ModelCheckpoint.restore(mtkt.stateDict, from: first)
        var heads = 0
        for (key, value) in values(mtkt.stateDict) {
            if key.hasPrefix("aux_classifier_list.") || key.hasPrefix("main_classifier_list.") {
                XCTAssertEqual(value, mtktOwn[key], key)
                heads += 1
            } else {
                XCTAssertEqual(value, reference[key], key)
            }
        }
        XCTAssertEqual(heads, 2 * 3 * 8)   // aux and main lists, 3 heads, 4 branches × weight and bias

        try FileManager.default.removeItem(atPath: root + "/snapshots")
        let second = root + "/b/\(ModelCheckpoint.imageNetMarker)_tiny.safetensors"
        let rerun = try pretrain(out: second, snapshots: root + "/snapshots")
        XCTAssertEqual(rerun.status, 0, rerun.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: second)), try Data(contentsOf: URL(fileURLWithPath: first)))
    }

    /// Early stopping: the held-out images are scored after every iteration (SAVE_PRED_EVERY 1)
    /// and the file holds the backbone of the first best-scoring one, equal to that iteration's
    /// snapshot.
    func testPretrainKeepsTheBestHeldOutIteration() throws {
        let root = try makeTemporaryDirectory(self)
        let out = root + "/\(ModelCheckpoint.imageNetMarker)_early.safetensors"
        let run = try pretrain(out: out, snapshots: root + "/snapshots",
                               extra: ["TRAIN.SAVE_PRED_EVERY=1", "TRAIN.LEARNING_RATE=0.05"])
        XCTAssertEqual(run.status, 0, run.output)
        var scores: [Double] = []
        for iteration in 0..<4 {
            let marker = "held-out source (2 images) after iteration \(iteration): mIoU "
            let line = try XCTUnwrap(run.output.split(separator: "\n").first { $0.contains(marker) }, run.output)
            let tail = line[line.range(of: marker)!.upperBound...]
            scores.append(try XCTUnwrap(Double(tail.prefix { $0 != " " }), String(line)))
        }
        let best = scores.firstIndex(of: scores.max()!)!
        XCTAssertTrue(run.output.contains("backbone: \(out) (after iteration \(best))"), "\(scores)\n\(run.output)")
        let file = try SafeTensors.read(contentsOf: out)
        XCTAssertEqual(file.metadata["iterations"], "\(best + 1)")
        let snapshot = try SafeTensors.read(contentsOf: root + "/snapshots/model_\(best).safetensors")
        for name in file.names where !name.hasSuffix("num_batches_tracked") {
            let key = String(name.dropFirst(PretrainedBackbone.keyPrefix.count))
            XCTAssertEqual(try file.tensor(name).withUnsafeBufferPointer { Array($0) },
                           try snapshot.tensor(key).withUnsafeBufferPointer { Array($0) }, name)
        }
    }

    /// A path without the marker (RESTORE_FROM would load it strictly), a missing pretext list and
    /// a framework other than SourceOnly are refused before training.
    func testRefusals() throws {
        let root = try makeTemporaryDirectory(self)
        let plain = try pretrain(out: root + "/backbone.safetensors", snapshots: root + "/snapshots")
        XCTAssertNotEqual(plain.status, 0)
        XCTAssertTrue(plain.output.contains("path must contain DeepLab_resnet_pretrained_imagenet"), plain.output)

        let out = root + "/\(ModelCheckpoint.imageNetMarker)_x.safetensors"
        let missing = try pretrain(out: out, snapshots: root + "/snapshots", data: root + "/nowhere")
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.output.contains("the source list \(root)/nowhere/gta5_list/all.txt does not exist: write the "
                                              + "data first, for the pretext data with `mtaf-mpi make-data --pretext --out \(root)/nowhere`"),
                      missing.output)

        let minEnt = try pretrain(out: out, snapshots: root + "/snapshots", extra: ["TRAIN.MT_FRAMEWORK=MinEnt"])
        XCTAssertNotEqual(minEnt.status, 0)
        XCTAssertTrue(minEnt.output.contains("TRAIN.MT_FRAMEWORK is MinEnt; pretraining is source-only"), minEnt.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/snapshots"))
    }
}
