// DeepLabV2: the PyTorch fixtures, the state-dict key list, the SGD groups, deferred running
// statistics and a full-size ResNet-101 smoke test.

import Distributed
import XCTest
@testable import MTAFNet

final class DeepLabV2Tests: XCTestCase {
    func testFixtureBlocks1111Width8() {
        XCTAssertFixturePasses("model_deeplabv2_b1111_w8")
    }

    func testFixtureBlocks2121Width8() {
        XCTAssertFixturePasses("model_deeplabv2_b2121_w8")
    }

    /// Spec §2.10: 104 convs + 104 BNs → 640 entries; Appendix A's order for the stem and layer1.0.
    func testResNet101StateDictKeys() {
        let model = DeepLabV2(.resNet101(classes: 7, width: 2), random: RandomStream(seed: 1))
        let entries = model.stateDict.entries
        XCTAssertEqual(entries.count, 640)
        let convWeights = entries.filter { $0.isTrainable && $0.shape.count == 4 && !$0.key.hasPrefix("layer5") && !$0.key.hasPrefix("layer6") }
        XCTAssertEqual(convWeights.count, 104)
        XCTAssertEqual(entries.filter { $0.key.hasSuffix(".weight") && !$0.isTrainable }.count
                       + entries.filter { $0.key.hasSuffix(".bias") && !$0.isTrainable }.count, 208)
        XCTAssertEqual(entries.filter { $0.key.hasSuffix(".running_mean") || $0.key.hasSuffix(".running_var")
                                        || $0.key.hasSuffix(".num_batches_tracked") }.count, 312)
        XCTAssertEqual(entries.filter { $0.key.hasPrefix("layer5.") || $0.key.hasPrefix("layer6.") }.count, 16)
        let keys = model.stateDict.keys
        XCTAssertEqual(Array(keys.prefix(6)), ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                                               "bn1.running_var", "bn1.num_batches_tracked"])
        let bn = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
        let block = ["layer1.0.conv1.weight"] + bn.map { "layer1.0.bn1.\($0)" }
            + ["layer1.0.conv2.weight"] + bn.map { "layer1.0.bn2.\($0)" }
            + ["layer1.0.conv3.weight"] + bn.map { "layer1.0.bn3.\($0)" }
            + ["layer1.0.downsample.0.weight"] + bn.map { "layer1.0.downsample.1.\($0)" }
        XCTAssertEqual(Array(keys[6..<30]), block)  // 24 entries (Appendix A says 30: 4 + 4·5 = 24)
        XCTAssertEqual(keys[30], "layer1.1.conv1.weight")
        XCTAssertEqual(keys.filter { $0.hasPrefix("layer1.1.") }.count, 18)
        XCTAssertEqual(keys.filter { $0.hasPrefix("layer3.22.") }.count, 18)
        XCTAssertFalse(keys.contains { $0.hasPrefix("layer3.23.") })
        XCTAssertEqual(Array(keys.suffix(16)),
                       (0..<4).flatMap { ["layer5.conv2d_list.\($0).weight", "layer5.conv2d_list.\($0).bias"] }
                       + (0..<4).flatMap { ["layer6.conv2d_list.\($0).weight", "layer6.conv2d_list.\($0).bias"] })
        XCTAssertEqual(model.stateDict.entry(forKey: "layer2.0.conv1.weight")?.shape, [4, 8, 1, 1])
        XCTAssertEqual(model.stateDict.entry(forKey: "layer3.0.downsample.0.weight")?.shape, [32, 16, 1, 1])
        XCTAssertEqual(model.stateDict.entry(forKey: "bn1.num_batches_tracked")?.shape, [])
        XCTAssertEqual(model.backbone.stages[2][0].conv2.geometry.dilationH, 2)
        XCTAssertEqual(model.backbone.stages[3][1].conv2.geometry.padH, 4)
        XCTAssertEqual(model.backbone.stages[1][0].conv1.geometry.strideH, 2)
        XCTAssertEqual(model.backbone.stages[1][0].conv2.geometry.strideH, 1)
    }

    func testResNet50StateDictAndSingleLevel() {
        XCTAssertEqual(DeepLabV2(DeepLabV2Configuration(blocks: [3, 4, 6, 3], width: 1), random: RandomStream(seed: 1)).stateDict.count, 334)
        let single = DeepLabV2(DeepLabV2Configuration(blocks: [3, 4, 6, 3], width: 1, multiLevel: false), random: RandomStream(seed: 1))
        XCTAssertEqual(single.stateDict.count, 326)
        XCTAssertNil(single.layer5)
    }

    /// Spec §2.9, §4.8: group 0 lists each backbone weight (number of dots) times, group 1 the 16
    /// classifier tensors once.
    func testSGDGroups() {
        let model = DeepLabV2(.resNet101(width: 1), random: RandomStream(seed: 1))
        let groups = model.sgdGroups()
        XCTAssertEqual(groups.count, 2)
        let expected = model.backboneParameterIDs.reduce(0) { $0 + SGD.listingCount(forKey: model.parameters[$1].name) }
        XCTAssertEqual(groups[0].parameters.count, expected)
        XCTAssertEqual(Set(groups[0].parameters).count, 104)
        XCTAssertEqual(groups[1].parameters.count, 16)
        XCTAssertEqual(model.parameters[groups[1].parameters[0]].name, "layer5.conv2d_list.0.weight")
    }

    /// Spec §2.8: conv weights N(0, 0.01), classifier biases within ±1/√(Cin·9), BN 1/0/0/1.
    func testInitialization() throws {
        let model = DeepLabV2(DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 8), random: RandomStream(seed: 3))
        let w = model.parameters.withValues(model.backbone.stages[2][0].conv2.weight) { Array($0) }
        let mean = w.reduce(0, +) / Float(w.count)
        let std = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(w.count)).squareRoot()
        XCTAssertEqual(std, 0.01, accuracy: 0.001)
        let bias = model.parameters.withValues(model.layer6.biases[0]) { Array($0) }
        let bound = 1 / Float(256 * 9).squareRoot()
        XCTAssertTrue(bias.allSatisfy { abs($0) <= bound })
        XCTAssertTrue(bias.contains { $0 != 0 })
        let bn = model.backbone.bn1
        XCTAssertEqual(bn.store.withValues(bn.weight) { Array($0) }, [Float](repeating: 1, count: 8))
        XCTAssertEqual(bn.store.withValues(bn.runningVar) { Array($0) }, [Float](repeating: 1, count: 8))
    }

    /// Architecture §3.7: under `DistributedBatchNormStatistics` (here in a world of one) a forward
    /// leaves the running statistics alone; applying the gathered statistics afterwards gives what
    /// the immediate update gives.
    func testDeferredRunningStatistics() throws {
        let configuration = DeepLabV2Configuration(blocks: [1, 2, 1, 1], width: 4)
        let immediate = DeepLabV2(configuration, random: RandomStream(seed: 5))
        let deferred = DeepLabV2(configuration, random: RandomStream(seed: 5))
        let synchronizer = DistributedBatchNormStatistics(world: LocalCommunicator(), placement: .local(targetCount: 0),
                                                          time: CommunicationTime())
        synchronizer.prepare(deferred.batchNormLayers)
        var random = RandomStream(seed: 9)
        let input = Tensor(shape: [2, 3, 33, 41])
        random.fillNormal(input, mean: 0, std: 1)
        _ = immediate.forward(input, training: true, retainForBackward: false)
        _ = deferred.forward(input, training: true, retainForBackward: false)
        XCTAssertEqual(deferred.backbone.bn1.numBatchesTracked, 0)
        XCTAssertEqual(immediate.backbone.bn1.numBatchesTracked, 1)
        XCTAssertEqual(deferred.buffers.withValues(deferred.backbone.bn1.runningMean) { Array($0) },
                       [Float](repeating: 0, count: 4))
        synchronizer.forwardDidRun(.source, layers: deferred.batchNormLayers)
        try synchronizer.passesDidFinish(layers: deferred.batchNormLayers)
        for (a, b) in zip(immediate.batchNormLayers, deferred.batchNormLayers) {
            XCTAssertEqual(a.numBatchesTracked, b.numBatchesTracked)
            XCTAssertEqual(immediate.buffers.withValues(a.runningMean) { Array($0) },
                           deferred.buffers.withValues(b.runningMean) { Array($0) }, a.key)
            XCTAssertEqual(immediate.buffers.withValues(a.runningVar) { Array($0) },
                           deferred.buffers.withValues(b.runningVar) { Array($0) }, a.key)
        }
    }

    /// A gradient only for the main head leaves layer5 without a gradient (SGD skips it).
    func testMainOnlyBackwardLeavesAuxWithoutGradient() {
        let model = DeepLabV2(DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 4), random: RandomStream(seed: 2))
        var random = RandomStream(seed: 4)
        let input = Tensor(shape: [1, 3, 33, 33])
        random.fillNormal(input, mean: 0, std: 1)
        let (aux, main) = model.forward(input, training: true)
        XCTAssertEqual(aux?.shape, [1, 7, 5, 5])
        let grad = Tensor(shape: main.shape, repeating: 0.01)
        model.backward(gradAux: nil, gradMain: grad)
        XCTAssertFalse(model.parameters.hasReceivedGradient(model.layer5!.weights[0]))
        XCTAssertTrue(model.parameters.hasReceivedGradient(model.layer6.weights[0]))
        XCTAssertTrue(model.parameters.hasReceivedGradient(model.backbone.conv1.weight))
        XCTAssertFalse(model.backbone.conv1.hasRetainedForward)
        XCTAssertFalse(model.layer6.hasRetainedForward)
    }

    /// Full size (spec §2.10): ResNet-101 at width 64 with 7 classes has 43,274,360 parameter
    /// scalars as PyTorch counts them (frozen BN weights and biases included: 2·52,672), of which
    /// 42,394,816 in backbone convs, and runs a small forward (spec §2.5 sizes).
    func testFullSizeResNet101() {
        let model = DeepLabV2(.resNet101(classes: 7), random: RandomStream(seed: 7))
        XCTAssertEqual(model.stateDict.parameterScalarCount, 43_274_360)
        XCTAssertEqual(model.stateDict.trainableScalarCount, 43_274_360 - 2 * 52_672)
        let backbone = model.backboneParameterIDs.reduce(0) { $0 + model.parameters[$1].count }
        XCTAssertEqual(backbone, 42_394_816)
        XCTAssertEqual(DeepLabV2Configuration.outputSize(320), 41)
        XCTAssertEqual(DeepLabV2Configuration.outputSize(640), 81)
        XCTAssertEqual(DeepLabV2Configuration.outputSize(512), 65)
        XCTAssertEqual(DeepLabV2Configuration.outputSize(1280), 161)
        let input = Tensor(shape: [1, 3, 33, 65])
        var random = RandomStream(seed: 8)
        random.fillNormal(input, mean: 0, std: 50)
        let (aux, main) = model.forward(input, training: false)
        XCTAssertEqual(aux?.shape, [1, 7, 5, 9])
        XCTAssertEqual(main.shape, [1, 7, 5, 9])
        XCTAssertTrue(main.scalars.allSatisfy(\.isFinite))
        XCTAssertTrue(aux!.scalars.allSatisfy(\.isFinite))
        XCTAssertTrue(main.scalars.contains { $0 != 0 })
    }
}
