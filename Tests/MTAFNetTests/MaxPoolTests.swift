import XCTest
@testable import MTAFNet

final class MaxPoolTests: XCTestCase {
    func testCeilFixture() { XCTAssertFixturePasses("op_maxpool_ceil") }
    func testCeilEvenFixture() { XCTAssertFixturePasses("op_maxpool_ceil_even") }

    /// Output sizes of PyTorch's rule, including a case where the last window would start in
    /// the padding.
    func testOutputSize() {
        func stem(_ n: Int) -> Int {
            maxPoolOutputSize(inputSize: n, kernel: 3, stride: 2, padding: 1, ceilMode: true)
        }
        XCTAssertEqual(stem(17), 9)
        XCTAssertEqual(stem(33), 17)
        XCTAssertEqual(stem(16), 9)
        XCTAssertEqual(stem(20), 11)
        XCTAssertEqual(stem(160), 81)
        XCTAssertEqual(stem(161), 81)
        XCTAssertEqual(stem(1), 1)
        XCTAssertEqual(maxPoolOutputSize(inputSize: 16, kernel: 3, stride: 2, padding: 1,
                                         ceilMode: false), 8)
        // ceil((5 + 2 − 3)/3) + 1 = 3, but window 2 would start at 6 − 1 = 5 ≥ n: 2.
        XCTAssertEqual(maxPoolOutputSize(inputSize: 5, kernel: 3, stride: 3, padding: 1,
                                         ceilMode: true), 2)
    }

    private func pool(_ x: [Float], h: Int, w: Int) -> (y: [Float], idx: [Int32], oh: Int, ow: Int) {
        let oh = maxPoolOutputSize(inputSize: h, kernel: 3, stride: 2, padding: 1, ceilMode: true)
        let ow = maxPoolOutputSize(inputSize: w, kernel: 3, stride: 2, padding: 1, ceilMode: true)
        var y = [Float](repeating: 0, count: oh * ow)
        var idx = [Int32](repeating: -1, count: oh * ow)
        maxPoolForward(output: &y, argmax: &idx, input: x, kernel: 3, stride: 2, padding: 1,
                       ceilMode: true, batch: 1, channels: 1, height: h, width: w)
        return (y, idx, oh, ow)
    }

    /// On a constant map every window's first valid element (row-major) wins and the backward
    /// sends the whole gradient there.
    func testTiesFirstWins() {
        let (h, w) = (6, 7)
        let x = [Float](repeating: 0, count: h * w)
        let (y, idx, oh, ow) = pool(x, h: h, w: w)
        for i in 0..<oh {
            for j in 0..<ow {
                let r = max(2 * i - 1, 0), q = max(2 * j - 1, 0)
                XCTAssertEqual(Int(idx[i * ow + j]), r * w + q, "window (\(i), \(j))")
                XCTAssertEqual(y[i * ow + j], 0)
            }
        }
        let g = (0..<(oh * ow)).map { Float($0 + 1) }
        var dx = [Float](repeating: 0, count: h * w)
        maxPoolBackwardData(gradInput: &dx, gradOutput: g, argmax: idx, batch: 1, channels: 1,
                            height: h, width: w, outputHeight: oh, outputWidth: ow)
        var expected = [Float](repeating: 0, count: h * w)
        for o in 0..<(oh * ow) { expected[Int(idx[o])] += g[o] }
        XCTAssertEqual(dx, expected)
        XCTAssertEqual(dx.reduce(0, +), g.reduce(0, +))
    }

    /// A later equal value does not replace the first; a strictly larger one does.
    func testTieInsideWindow() {
        // 3×3 input, output 2×2; window (0, 0) covers rows 0–1, columns 0–1.
        let x: [Float] = [1, 5, 5,
                          5, 2, 9,
                          0, 0, 0]
        let (y, idx, _, ow) = pool(x, h: 3, w: 3)
        XCTAssertEqual(y[0], 5)
        XCTAssertEqual(idx[0], 1)         // (0, 1), not (1, 0)
        XCTAssertEqual(idx[1], 5)         // window (0, 1): columns 1–2, 9 at (1, 2)
        XCTAssertEqual(idx[ow], 3)        // window (1, 0): rows 1–2, columns 0–1: 5 at (1, 0)
    }

    /// Padding never wins (all-negative input) and a NaN always wins.
    func testPaddingAndNaN() {
        var rng = RandomStream(seed: 3)
        var x = rng.floats(5 * 5, -3, -1)
        let (y, _, _, _) = pool(x, h: 5, w: 5)
        XCTAssertTrue(y.allSatisfy { $0 < -0.9 && $0.isFinite })
        x[6] = .nan            // (1, 1): in windows (0,0), (0,1), (1,0), (1,1)
        x[7] = 100
        let (y2, idx2, _, ow) = pool(x, h: 5, w: 5)
        XCTAssertTrue(y2[0].isNaN)
        XCTAssertEqual(idx2[0], 6)
        XCTAssertTrue(y2[1].isNaN)
        XCTAssertEqual(idx2[1], 6)
        XCTAssertTrue(y2[ow + 1].isNaN)
    }
}
