import XCTest
@testable import MTAFNet

final class ActivationTests: XCTestCase {
    func testReLUFixture() { XCTAssertFixturePasses("op_relu") }
    func testLeakyReLUFixture() { XCTAssertFixturePasses("op_leaky_relu") }

    /// The in-place forms give the out-of-place results, and the backward accepts the output.
    func testInPlaceAndOutputDerivative() {
        var rng = RandomStream(seed: 1)
        var x = rng.floats(257)
        x[3] = 0; x[7] = -0.0
        let g = rng.floats(257)
        for slope in [Float(0), 0.2] {
            var y = [Float](repeating: 0, count: x.count)
            var inPlace = x
            var dxFromInput = [Float](repeating: 1, count: x.count)
            var dxFromOutput = [Float](repeating: 1, count: x.count)
            var dxInPlace = g
            if slope == 0 {
                reluForward(output: &y, input: x, count: x.count)
                reluForwardInPlace(values: &inPlace, count: x.count)
                reluBackwardData(gradInput: &dxFromInput, gradOutput: g, input: x, count: x.count)
                reluBackwardData(gradInput: &dxFromOutput, gradOutput: g, input: y, count: x.count)
                reluBackwardDataInPlace(gradient: &dxInPlace, input: x, count: x.count)
            } else {
                leakyReLUForward(output: &y, input: x, negativeSlope: slope, count: x.count)
                leakyReLUForwardInPlace(values: &inPlace, negativeSlope: slope, count: x.count)
                leakyReLUBackwardData(gradInput: &dxFromInput, gradOutput: g, input: x,
                                      negativeSlope: slope, count: x.count)
                leakyReLUBackwardData(gradInput: &dxFromOutput, gradOutput: g, input: y,
                                      negativeSlope: slope, count: x.count)
                leakyReLUBackwardDataInPlace(gradient: &dxInPlace, input: x,
                                             negativeSlope: slope, count: x.count)
            }
            XCTAssertEqual(y, inPlace)
            XCTAssertEqual(dxFromInput, dxFromOutput)
            for i in 0..<x.count {
                let d: Float = x[i] > 0 ? 1 : slope
                XCTAssertEqual(y[i], x[i] > 0 ? x[i] : x[i] * slope)
                XCTAssertEqual(dxFromInput[i], 1 + g[i] * d, "accumulates")
                XCTAssertEqual(dxInPlace[i], g[i] * d)
            }
            // Derivative at exactly 0 is the negative side's (PyTorch: x > 0).
            XCTAssertEqual(dxInPlace[3], g[3] * slope)
        }
    }
}
