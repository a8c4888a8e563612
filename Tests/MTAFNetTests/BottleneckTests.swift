// Bottleneck: the identity-shortcut backward into a given gradient buffer (the fixtures only
// reach it with a fresh one), and the retained-forward precondition's bookkeeping.

import XCTest
@testable import MTAFNet

final class BottleneckTests: XCTestCase {
    func testIdentityShortcutAccumulatesIntoGivenGradient() {
        let parameters = ParameterStore(), buffers = ParameterStore(), stateDict = StateDict()
        let block = Bottleneck(key: "layer1.1", inplanes: 8, planes: 2, stride: 1, dilation: 2, hasDownsample: false,
                               parameters: parameters, buffers: buffers, stateDict: stateDict,
                               workspace: ConvWorkspace())
        XCTAssertEqual(stateDict.count, 18)
        var random = RandomStream(seed: 11)
        for id in parameters.ids {
            let t = Tensor(shape: [parameters[id].count])
            random.fillNormal(t, mean: 0, std: 0.3)
            parameters.withValues(id) { v in t.withUnsafeBufferPointer { for i in 0..<v.count { v[i] = $0[i] } } }
        }
        let x = Tensor(shape: [2, 8, 5, 6])
        random.fillNormal(x, mean: 0, std: 1)
        let gradOutput = Tensor(shape: [2, 8, 5, 6])
        random.fillNormal(gradOutput, mean: 0, std: 1)

        let out = block.forward(x, training: true, retain: true)
        XCTAssertEqual(out.shape, [2, 8, 5, 6])
        XCTAssertTrue(out.scalars.allSatisfy { $0 >= 0 })
        let fresh = block.backward(gradOutput.copy())!
        XCTAssertFalse(block.conv1.hasRetainedForward)
        let weightGrad = parameters.withGradientUnmarked(block.conv2.weight) { Array($0) }

        _ = block.forward(x, training: true, retain: true)
        let given = Tensor(shape: x.shape, repeating: 1)
        let result = block.backward(gradOutput.copy(), accumulatingInto: given, computeWeightGradients: false)!
        XCTAssertTrue(result === given)
        for (a, b) in zip(result.scalars, fresh.scalars) { XCTAssertEqual(a, b + 1, accuracy: 1e-5) }
        XCTAssertEqual(parameters.withGradientUnmarked(block.conv2.weight) { Array($0) }, weightGrad)
    }
}

final class ReLULayerTests: XCTestCase {
    /// The SIMD loops agree with the ops' scalar definitions, NaN and −0 included.
    func testMatchesActivationOps() {
        var random = RandomStream(seed: 5)
        var values = random.floats(53)
        values[3] = .nan; values[20] = -0.0; values[21] = 0; values[40] = -.infinity
        let t = Tensor(shape: [53], values: values)
        let layer = ReLULayer()
        layer.forward(t, retain: true)
        var expected = values
        expected.withUnsafeMutableBufferPointer { reluForwardInPlace(values: $0.baseAddress!, count: 53) }
        XCTAssertEqual(t.scalars.map(\.bitPattern), expected.map(\.bitPattern))
        let grads = random.floats(53)
        let g = Tensor(shape: [53], values: grads)
        layer.backward(g)
        var expectedGrad = grads
        expectedGrad.withUnsafeMutableBufferPointer { gb in
            expected.withUnsafeBufferPointer { reluBackwardDataInPlace(gradient: gb.baseAddress!, input: $0.baseAddress!, count: 53) }
        }
        XCTAssertEqual(g.scalars.map(\.bitPattern), expectedGrad.map(\.bitPattern))
    }

    /// The fused residual sum (`adding:`) equals `accumulate` then the ReLU, bit for bit.
    func testResidualSumMatchesAccumulateThenReLU() {
        var random = RandomStream(seed: 6)
        let values = random.floats(37), residual = random.floats(37)
        let fused = Tensor(shape: [37], values: values)
        ReLULayer().forward(fused, adding: Tensor(shape: [37], values: residual), retain: false)
        let separate = Tensor(shape: [37], values: values)
        separate.accumulate(Tensor(shape: [37], values: residual))
        ReLULayer().forward(separate, retain: false)
        XCTAssertEqual(fused.scalars.map(\.bitPattern), separate.scalars.map(\.bitPattern))
        XCTAssertTrue(fused.scalars.contains(0) && fused.scalars.contains { $0 > 0 })
    }
}
