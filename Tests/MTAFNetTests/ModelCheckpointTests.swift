// ModelCheckpoint: round trip, strict-load errors, the ImageNet-init rule (spec §2.8, §2.10).

import Foundation
import XCTest
@testable import MTAFNet

final class ModelCheckpointTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mtaf-checkpoint-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private let configuration = DeepLabV2Configuration(blocks: [1, 2, 1, 1], width: 2, classes: 3)

    /// Every float entry's values, keyed by state-dict key.
    private func values(_ stateDict: StateDict) -> [String: [Float]] {
        var out: [String: [Float]] = [:]
        for entry in stateDict.entries {
            if case let .floats(store, id) = entry.slot { out[entry.key] = store.withValues(id) { Array($0) } }
        }
        return out
    }

    private func trainedModel(seed: UInt64) -> DeepLabV2 {
        let model = DeepLabV2(configuration, random: RandomStream(seed: seed))
        var random = RandomStream(seed: seed + 100)
        let input = Tensor(shape: [1, 3, 17, 21])
        random.fillNormal(input, mean: 0, std: 1)
        _ = model.forward(input, training: true, retainForBackward: false)
        return model
    }

    func testRoundTrip() throws {
        let source = trainedModel(seed: 1)
        XCTAssertEqual(source.backbone.bn1.numBatchesTracked, 1)
        try ModelCheckpoint.save(source.stateDict, to: path("model.safetensors"), metadata: ["iteration": "7"])
        let file = try SafeTensors.read(contentsOf: path("model.safetensors"))
        XCTAssertEqual(Set(file.names), Set(source.stateDict.keys))
        XCTAssertEqual(file.entries["bn1.num_batches_tracked"]?.dtype, .i64)
        XCTAssertEqual(file.entries["bn1.num_batches_tracked"]?.shape, [])
        XCTAssertEqual(file.entries["layer6.conv2d_list.3.bias"]?.dtype, .f32)
        XCTAssertEqual(file.metadata["iteration"], "7")
        let target = DeepLabV2(configuration, random: RandomStream(seed: 2))
        XCTAssertNotEqual(values(target.stateDict), values(source.stateDict))
        try ModelCheckpoint.load(target.stateDict, from: path("model.safetensors"))
        XCTAssertEqual(values(target.stateDict), values(source.stateDict))
        XCTAssertEqual(target.batchNormLayers.map(\.numBatchesTracked), source.batchNormLayers.map(\.numBatchesTracked))

        let d = FCDiscriminator(inChannels: 3, ndf: 2, random: RandomStream(seed: 3))
        try ModelCheckpoint.save(d.stateDict, to: path("d.safetensors"))
        let d2 = FCDiscriminator(inChannels: 3, ndf: 2, random: RandomStream(seed: 4))
        try ModelCheckpoint.restore(d2.stateDict, from: path("d.safetensors"))
        XCTAssertEqual(values(d2.stateDict), values(d.stateDict))
    }

    /// A state holding ±Inf or NaN is never written (case 5): the error names the file and tensor,
    /// and no file appears.
    func testNonFiniteValuesAreNotSaved() throws {
        let model = trainedModel(seed: 1)
        guard case let .floats(store, id)? = model.stateDict.entry(forKey: "layer1.0.bn2.running_var")?.slot else {
            return XCTFail("no layer1.0.bn2.running_var")
        }
        store.withValues(id) { $0[1] = .infinity }
        let target = path("model.safetensors")
        XCTAssertThrowsError(try ModelCheckpoint.save(model.stateDict, to: target)) {
            XCTAssertEqual($0 as? CheckpointError, .file(.nonFinite(
                path: target, tensor: "layer1.0.bn2.running_var", element: 1, count: 2, value: "inf", writing: true)))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: target))
    }

    /// Non-finite values in a checkpoint are refused on load (case 6), naming the file and the
    /// tensor, and nothing of the file is loaded.
    func testNonFiniteValuesAreNotLoaded() throws {
        let source = trainedModel(seed: 1)
        let file = path("model.safetensors")
        try ModelCheckpoint.save(source.stateDict, to: file)
        try overwrite("layer6.conv2d_list.0.weight", element: 5, with: .nan, inFile: file)
        let target = DeepLabV2(configuration, random: RandomStream(seed: 2))
        let before = values(target.stateDict)
        XCTAssertThrowsError(try ModelCheckpoint.load(target.stateDict, from: file)) {
            guard case let .file(.nonFinite(path, tensor, element, _, value, writing))? = $0 as? CheckpointError else {
                return XCTFail("wrong error \($0)")
            }
            XCTAssertEqual([path, tensor, value], [file, "layer6.conv2d_list.0.weight", "nan"])
            XCTAssertEqual(element, 5)
            XCTAssertFalse(writing)
            XCTAssertTrue("\($0)".contains("\(file): tensor 'layer6.conv2d_list.0.weight' holds nan at element 5"), "\($0)")
        }
        XCTAssertEqual(values(target.stateDict), before)
        // TRAIN.RESTORE_FROM reads through the same check.
        try overwrite("layer6.conv2d_list.0.weight", element: 5, with: 1, inFile: file)
        try overwrite("bn1.running_var", with: -.infinity, inFile: file)
        XCTAssertThrowsError(try ModelCheckpoint.restore(target.stateDict, from: file)) {
            XCTAssertTrue("\($0)".contains("'bn1.running_var' holds -inf at element 0"), "\($0)")
        }
    }

    /// Missing, unexpected and mis-shaped keys come in one error naming the file; nothing is loaded.
    func testStrictLoadListsEveryProblem() throws {
        let source = DeepLabV2(configuration, random: RandomStream(seed: 1))
        var tensors = ModelCheckpoint.tensors(of: source.stateDict)
        tensors["layer2.1.conv2.weight"] = nil
        tensors["layer7.weight"] = .f32(Tensor(shape: [2]))
        tensors["layer1.0.bn1.running_mean"] = .f32(Tensor(shape: [3]))
        tensors["bn1.num_batches_tracked"] = .f32(Tensor(shape: []))
        try SafeTensors.write(tensors, to: path("bad.safetensors"))
        let target = DeepLabV2(configuration, random: RandomStream(seed: 2))
        let before = values(target.stateDict)
        XCTAssertThrowsError(try ModelCheckpoint.load(target.stateDict, from: path("bad.safetensors"))) { error in
            guard case let CheckpointError.keyMismatch(file, missing, unexpected, mismatched) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(file, self.path("bad.safetensors"))
            XCTAssertEqual(missing, ["layer2.1.conv2.weight"])
            XCTAssertEqual(unexpected, ["layer7.weight"])
            XCTAssertEqual(mismatched.map(\.key), ["bn1.num_batches_tracked", "layer1.0.bn1.running_mean"])
            let text = "\(error)"
            XCTAssertTrue(text.contains("bad.safetensors"))
            XCTAssertTrue(text.contains("missing: layer2.1.conv2.weight"))
            XCTAssertTrue(text.contains("unexpected: layer7.weight"))
            XCTAssertTrue(text.contains("layer1.0.bn1.running_mean (model F32 [2], file F32 [3])"))
        }
        XCTAssertEqual(values(target.stateDict), before)
        XCTAssertThrowsError(try ModelCheckpoint.load(target.stateDict, from: path("absent.safetensors"))) { error in
            guard case CheckpointError.file = error else { return XCTFail("unexpected error \(error)") }
        }
    }

    /// Spec §2.8: strip the first key component, skip second-component `layer5`, strict on the
    /// rest; layer5/layer6 keep their own values, num_batches_tracked keeps 0 when absent.
    func testImageNetRule() throws {
        let source = trainedModel(seed: 1)
        var tensors: [String: SafeTensors.Value] = [:]
        for (key, value) in ModelCheckpoint.tensors(of: source.stateDict)
        where !key.hasPrefix("layer6.") && !key.hasSuffix("num_batches_tracked") {
            tensors["Scale." + key] = value
        }
        XCTAssertNotNil(tensors["Scale.layer5.conv2d_list.0.weight"])
        let imageNet = path("DeepLab_resnet_pretrained_imagenet.safetensors")
        try SafeTensors.write(tensors, to: imageNet)
        let target = DeepLabV2(configuration, random: RandomStream(seed: 2))
        let own = values(target.stateDict)
        try ModelCheckpoint.restore(target.stateDict, from: imageNet)
        let loaded = values(target.stateDict), reference = values(source.stateDict)
        for key in target.stateDict.keys {
            guard let value = loaded[key] else { continue }
            if key.hasPrefix("layer5.") || key.hasPrefix("layer6.") {
                XCTAssertEqual(value, own[key], key)
            } else {
                XCTAssertEqual(value, reference[key], key)
            }
        }
        XCTAssertEqual(target.backbone.bn1.numBatchesTracked, 0)

        // The same file under another name is a plain strict load: every key is unexpected.
        let plain = path("other.safetensors")
        try SafeTensors.write(tensors, to: plain)
        XCTAssertThrowsError(try ModelCheckpoint.restore(target.stateDict, from: plain)) { error in
            guard case let CheckpointError.keyMismatch(_, missing, unexpected, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(unexpected.count, tensors.count)
            XCTAssertEqual(missing.count, target.stateDict.count)
        }

        // An unknown key (after stripping) is an error under the rule too.
        tensors["Scale.layer9.weight"] = .f32(Tensor(shape: [1]))
        try SafeTensors.write(tensors, to: imageNet)
        XCTAssertThrowsError(try ModelCheckpoint.restore(target.stateDict, from: imageNet)) { error in
            guard case let CheckpointError.keyMismatch(_, missing, unexpected, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(unexpected, ["Scale.layer9.weight"])
            XCTAssertEqual(missing, [])
        }
    }
}
