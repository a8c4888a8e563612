// DeepLabV2MTKT: the PyTorch fixture, key counts and order, and forwards over chosen heads.

import XCTest
@testable import MTAFNet

final class DeepLabV2MTKTTests: XCTestCase {
    func testFixtureT2Width8() {
        XCTAssertFixturePasses("model_deeplabv2mtkt_T2_w8")
    }

    /// Spec §2.10: T = 2 → 672 entries, T = 3 → 688; spec §2.6 registration order.
    func testStateDictKeys() {
        let t2 = DeepLabV2MTKT(.resNet101(width: 1), heads: 3, random: RandomStream(seed: 1))
        XCTAssertEqual(t2.stateDict.count, 672)
        XCTAssertEqual(DeepLabV2MTKT(.resNet101(width: 1), heads: 4, random: RandomStream(seed: 1)).stateDict.count, 688)
        let keys = t2.stateDict.keys
        let firstAux = keys.firstIndex(of: "aux_classifier_list.0.conv2d_list.0.weight")!
        let lastLayer3 = keys.lastIndex { $0.hasPrefix("layer3.") }!
        let firstLayer4 = keys.firstIndex { $0.hasPrefix("layer4.") }!
        let firstMain = keys.firstIndex(of: "main_classifier_list.0.conv2d_list.0.weight")!
        XCTAssertEqual(firstAux, lastLayer3 + 1)
        XCTAssertEqual(firstLayer4, firstAux + 24)
        XCTAssertEqual(keys.last, "main_classifier_list.2.conv2d_list.3.bias")
        XCTAssertGreaterThan(firstMain, firstLayer4)
        XCTAssertEqual(t2.stateDict.entry(forKey: "main_classifier_list.1.conv2d_list.2.weight")?.shape, [7, 32, 3, 3])
        let groups = t2.sgdGroups()
        XCTAssertEqual(groups[1].parameters.count, 48)
        XCTAssertEqual(t2.parameters[groups[1].parameters[0]].name, "aux_classifier_list.0.conv2d_list.0.weight")
        XCTAssertEqual(t2.parameters[groups[1].parameters[24]].name, "main_classifier_list.0.conv2d_list.0.weight")
    }

    /// A distributed MTKT rank computes the student and its own teacher only; the other heads
    /// get neither activations nor gradients (so SGD skips them, spec §4.6).
    func testChosenHeadsOnly() {
        let configuration = DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 4)
        let model = DeepLabV2MTKT(configuration, heads: 3, random: RandomStream(seed: 3))
        var random = RandomStream(seed: 4)
        let input = Tensor(shape: [1, 3, 33, 41])
        random.fillNormal(input, mean: 0, std: 1)
        let all = model.forward(input, training: false)
        let some = model.forward(input, training: true, heads: [0, 2])
        XCTAssertNil(some.main[1])
        XCTAssertNil(some.aux[1])
        XCTAssertEqual(some.main[2]?.shape, all.main[2]?.shape)
        let grad = Tensor(shape: some.main[0]!.shape, repeating: 0.01)
        model.backward(gradAux: [nil, nil, grad], gradMain: [grad, nil, nil])
        let p = model.parameters
        XCTAssertTrue(p.hasReceivedGradient(model.mainHeads[0].weights[0]))
        XCTAssertFalse(p.hasReceivedGradient(model.mainHeads[1].weights[0]))
        XCTAssertFalse(p.hasReceivedGradient(model.mainHeads[2].weights[0]))
        XCTAssertFalse(p.hasReceivedGradient(model.auxHeads[0].weights[0]))
        XCTAssertTrue(p.hasReceivedGradient(model.auxHeads[2].biases[3]))
        XCTAssertTrue(p.hasReceivedGradient(model.backbone.conv1.weight))
        XCTAssertFalse(model.mainHeads[0].hasRetainedForward)
    }

    /// Every head lives in the segmenter's one store, registered after the backbone (architecture
    /// §3.5); without multi-level there are no aux heads.
    func testHeadsShareTheSegmenterStore() {
        let model = DeepLabV2MTKT(DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 2, multiLevel: false),
                                  heads: 2, random: RandomStream(seed: 1))
        let names = model.parameters.entries.map(\.name)
        let heads = names.filter { $0.hasPrefix("main_classifier_list.") }
        XCTAssertEqual(heads.count, 16)
        XCTAssertEqual(Array(names.suffix(16)), heads)
        XCTAssertTrue(heads.contains("main_classifier_list.1.conv2d_list.0.weight"))
        XCTAssertEqual(model.sgdGroups()[1].parameters.count, 16)
        XCTAssertTrue(model.auxHeads.isEmpty)
    }
}
