// PretrainedBackboneTests: which keys the pretrained backbone file holds and under which names,
// and the refusal of a path the ImageNet rule would not apply to (spec §2.8, docs/pretraining.md).

import Foundation
import XCTest
@testable import MTAFNet

final class PretrainedBackboneTests: XCTestCase {
    func testBackboneKeysUnderScale() throws {
        let model = DeepLabV2(DeepLabV2Configuration(blocks: [1, 2, 1, 1], width: 2, classes: 3), random: RandomStream(seed: 1))
        XCTAssertTrue(PretrainedBackbone.isBackbone("bn1.num_batches_tracked"))
        XCTAssertTrue(PretrainedBackbone.isBackbone("layer4.0.downsample.1.running_mean"))
        XCTAssertFalse(PretrainedBackbone.isBackbone("layer5.conv2d_list.0.weight"))
        XCTAssertFalse(PretrainedBackbone.isBackbone("layer6.conv2d_list.3.bias"))
        let tensors = PretrainedBackbone.tensors(of: model.stateDict)
        let classifierKeys = model.stateDict.keys.filter { $0.hasPrefix("layer5.") || $0.hasPrefix("layer6.") }
        XCTAssertEqual(classifierKeys.count, 16)
        XCTAssertEqual(tensors.count, model.stateDict.count - 16)
        XCTAssertTrue(tensors.keys.allSatisfy { $0.hasPrefix("Scale.") })
        XCTAssertNotNil(tensors["Scale.layer2.1.bn3.running_var"])
        guard case let .i64(shape, values)? = tensors["Scale.bn1.num_batches_tracked"] else {
            return XCTFail("num_batches_tracked missing or not I64")
        }
        XCTAssertEqual(shape, [])
        XCTAssertEqual(values, [0])
    }

    func testPathWithoutMarkerIsRefused() throws {
        let model = DeepLabV2(DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 2, classes: 3), random: RandomStream(seed: 1))
        let folder = try makeTemporaryDirectory(self)
        XCTAssertThrowsError(try PretrainedBackbone.save(model.stateDict, to: folder + "/backbone.safetensors", metadata: [:])) {
            XCTAssertEqual($0 as? CheckpointError, .notImageNetPath(path: folder + "/backbone.safetensors"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/backbone.safetensors"))
        let path = folder + "/DeepLab_resnet_pretrained_imagenet_small.safetensors"
        try PretrainedBackbone.save(model.stateDict, to: path, metadata: ["seed": "1"])
        let file = try SafeTensors.read(contentsOf: path)
        XCTAssertEqual(file.metadata, ["seed": "1"])
        XCTAssertEqual(file.names.count, model.stateDict.count - 16)
    }
}
