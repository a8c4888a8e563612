import XCTest
@testable import MTAFNet

final class ResizeTests: XCTestCase {
    func testUpFixture() { XCTAssertFixturePasses("op_resize_up") }
    func testDownFixture() { XCTAssertFixturePasses("op_resize_down") }

    /// The spec §4.7 formula in Double.
    private func reference(_ x: [Float], h: Int, w: Int, oh: Int, ow: Int) -> [Double] {
        let ry = oh > 1 ? Double(h - 1) / Double(oh - 1) : 0
        let rx = ow > 1 ? Double(w - 1) / Double(ow - 1) : 0
        var out = [Double](repeating: 0, count: oh * ow)
        for i in 0..<oh {
            let y = ry * Double(i), y0 = Int(y.rounded(.down)), y1 = y0 < h - 1 ? y0 + 1 : y0
            let a = y - Double(y0)
            for j in 0..<ow {
                let xx = rx * Double(j), x0 = Int(xx.rounded(.down)), x1 = x0 < w - 1 ? x0 + 1 : x0
                let b = xx - Double(x0)
                func v(_ r: Int, _ q: Int) -> Double { Double(x[r * w + q]) }
                out[i * ow + j] = (1 - a) * ((1 - b) * v(y0, x0) + b * v(y0, x1))
                    + a * ((1 - b) * v(y1, x0) + b * v(y1, x1))
            }
        }
        return out
    }

    private func forward(_ x: [Float], h: Int, w: Int, oh: Int, ow: Int) -> [Float] {
        var y = [Float](repeating: 0, count: oh * ow)
        bilinearResizeForward(output: &y, input: x, batch: 1, channels: 1, inputHeight: h,
                              inputWidth: w, outputHeight: oh, outputWidth: ow)
        return y
    }

    func testMatchesFormulaAndAdjoint() {
        var rng = RandomStream(seed: 11)
        for (h, w, oh, ow) in [(4, 6, 9, 13), (9, 13, 4, 5), (5, 5, 1, 7), (3, 4, 3, 4), (1, 1, 3, 2)] {
            let x = rng.floats(h * w)
            let y = forward(x, h: h, w: w, oh: oh, ow: ow)
            opsAssertClose(y, reference(x, h: h, w: w, oh: oh, ow: ow), tolerance: 1e-6,
                           "forward \(h)×\(w) → \(oh)×\(ow)")
            if (h, w) == (oh, ow) { XCTAssertEqual(y, x, "same size is the identity") }
            // Backward is the transpose: <R x, g> = <x, Rᵀ g>.
            let g = rng.floats(oh * ow)
            var dx = [Float](repeating: 0, count: h * w)
            bilinearResizeBackwardData(gradInput: &dx, gradOutput: g, batch: 1, channels: 1,
                                       inputHeight: h, inputWidth: w, outputHeight: oh,
                                       outputWidth: ow)
            let lhs = zip(y, g).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let rhs = zip(x, dx).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4, "adjoint \(h)×\(w) → \(oh)×\(ow)")
        }
    }
}
