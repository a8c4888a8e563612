import XCTest
@testable import MTAFNet

final class SoftmaxTests: XCTestCase {
    func testSoftmaxFixture() { XCTAssertFixturePasses("op_softmax") }
    func testSelfInformationFixture() { XCTAssertFixturePasses("op_self_information") }

    /// Crosses the pixel-block boundary (H·W = 135) and uses large logits.
    func testMatchesReferenceAcrossBlocks() {
        let (n, c, h, w) = (2, 5, 9, 15)
        var rng = RandomStream(seed: 5)
        var x = rng.floats(n * c * h * w, -4, 4)
        x[0] = 1000; x[h * w] = 1001
        var y = [Float](repeating: 0, count: x.count)
        softmaxChannelsForward(output: &y, input: x, batch: n, channels: c, height: h, width: w)
        opsAssertClose(y, opsSoftmaxReference(x.map(Double.init), n: n, c: c, hw: h * w),
                       tolerance: 1e-6, "softmax")
    }

    /// Self-information backward to the logits matches central differences of a Double forward.
    func testSelfInformationGradient() {
        let (n, c, h, w) = (2, 7, 3, 4)
        let hw = h * w
        var rng = RandomStream(seed: 6)
        let x = rng.floats(n * c * hw, -3, 3), g = rng.floats(n * c * hw)
        var out = [Float](repeating: 0, count: x.count), p = out
        selfInformationForward(output: &out, probabilities: &p, logits: x,
                               batch: n, channels: c, height: h, width: w)
        let l2c = log2(Double(c))
        func reference(_ xd: [Double]) -> [Double] {
            opsSoftmaxReference(xd, n: n, c: c, hw: hw).map { -$0 * log2($0 + 1e-30) / l2c }
        }
        opsAssertClose(out, reference(x.map(Double.init)), tolerance: 1e-6, "forward")
        var dx = [Float](repeating: 0, count: x.count)
        selfInformationBackwardData(gradLogits: &dx, gradOutput: g, probabilities: p,
                                    batch: n, channels: c, height: h, width: w)
        let numeric = opsNumericGradient(x) { xd in
            zip(reference(xd), g).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        opsAssertClose(dx, numeric, tolerance: 1e-5, "grad_logits")
    }

    /// Softmax backward accumulates into its output.
    func testSoftmaxBackwardAccumulates() {
        let (n, c, h, w) = (1, 3, 2, 2)
        var rng = RandomStream(seed: 4)
        let x = rng.floats(n * c * h * w), g = rng.floats(x.count)
        var y = [Float](repeating: 0, count: x.count)
        softmaxChannelsForward(output: &y, input: x, batch: n, channels: c, height: h, width: w)
        var once = [Float](repeating: 0, count: x.count)
        softmaxChannelsBackwardData(gradInput: &once, gradOutput: g, output: y,
                                    batch: n, channels: c, height: h, width: w)
        var twice = once
        softmaxChannelsBackwardData(gradInput: &twice, gradOutput: g, output: y,
                                    batch: n, channels: c, height: h, width: w)
        for i in 0..<x.count { XCTAssertEqual(twice[i], 2 * once[i], accuracy: 1e-7) }
    }
}
