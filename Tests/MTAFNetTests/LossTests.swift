import XCTest
@testable import MTAFNet

final class LossTests: XCTestCase {
    func testCrossEntropyIgnoreFixture() { XCTAssertFixturePasses("loss_cross_entropy_ignore") }
    func testCrossEntropyAllIgnoredFixture() {
        XCTAssertFixturePasses("loss_cross_entropy_all_ignored")
    }
    func testBCELabel0Fixture() { XCTAssertFixturePasses("loss_bce_label0") }
    func testBCELabel1Fixture() { XCTAssertFixturePasses("loss_bce_label1") }
    func testKLTeacherFixture() { XCTAssertFixturePasses("loss_kl_teacher") }
    func testEntropyFixture() { XCTAssertFixturePasses("loss_entropy") }

    private let (n, c, h, w) = (2, 4, 3, 5)

    /// Log-softmax over channels in Double.
    private func logSoftmax(_ x: [Double]) -> [Double] {
        opsSoftmaxReference(x, n: n, c: c, hw: h * w).map { log($0) }
    }

    func testCrossEntropyGradientAndScale() {
        var rng = RandomStream(seed: 21)
        let hw = h * w
        let x = rng.floats(n * c * hw, -3, 3)
        var labels = (0..<(n * hw)).map { _ in Int32(rng.nextInt(below: c)) }
        labels[0] = 255; labels[3] = 200; labels[5] = -1; labels[7] = 199 % Int32(c)
        func reference(_ xd: [Double]) -> Double {
            let ls = logSoftmax(xd)
            var total = 0.0, kept = 0
            for b in 0..<n {
                for p in 0..<hw {
                    let l = labels[b * hw + p]
                    guard l >= 0 && l < 200 else { continue }
                    total -= ls[(b * c + Int(l)) * hw + p]
                    kept += 1
                }
            }
            return total / Double(kept)
        }
        var grad = [Float](repeating: 1, count: x.count)
        let loss = crossEntropy2dLoss(gradLogits: &grad, logits: x, labels: labels, scale: 0.5,
                                      batch: n, channels: c, height: h, width: w)
        XCTAssertEqual(loss, reference(x.map(Double.init)), accuracy: 1e-6)
        let numeric = opsNumericGradient(x, reference).map { 1 + 0.5 * $0 }
        opsAssertClose(grad, numeric, tolerance: 1e-6, "grad_logits")
        // Ignored pixels get nothing.
        for ch in 0..<c { XCTAssertEqual(grad[ch * hw], 1) }
    }

    func testCrossEntropyAllIgnoredLeavesGradient() {
        let x = [Float](repeating: 0.5, count: n * c * h * w)
        let labels = [Int32](repeating: 255, count: n * h * w)
        var grad = [Float](repeating: 3, count: x.count)
        let loss = crossEntropy2dLoss(gradLogits: &grad, logits: x, labels: labels,
                                      batch: n, channels: c, height: h, width: w)
        XCTAssertEqual(loss, 0)
        XCTAssertTrue(grad.allSatisfy { $0 == 3 })
    }

    func testCrossEntropyLargeLogitsStayFinite() {
        var x = [Float](repeating: 0, count: c)
        x[0] = 5000; x[1] = -5000
        var grad = [Float](repeating: 0, count: c)
        let loss = crossEntropy2dLoss(gradLogits: &grad, logits: x, labels: [1],
                                      batch: 1, channels: c, height: 1, width: 1)
        XCTAssertEqual(loss, 10000, accuracy: 1e-3)
        XCTAssertEqual(grad, [1, -1, 0, 0])
    }

    func testBCEGradient() {
        var rng = RandomStream(seed: 22)
        let x = rng.floats(23, -30, 30)
        for y in [0.0, 1.0] {
            func reference(_ xd: [Double]) -> Double {
                xd.reduce(0) { $0 + max($1, 0) - $1 * y + log1p(exp(-abs($1))) } / Double(xd.count)
            }
            var grad = [Float](repeating: 0, count: x.count)
            let loss = bceWithLogitsLoss(gradInput: &grad, input: x, target: Float(y), scale: 2,
                                         count: x.count)
            XCTAssertEqual(loss, reference(x.map(Double.init)), accuracy: 1e-9)
            opsAssertClose(grad, opsNumericGradient(x, reference).map { 2 * $0 },
                           tolerance: 1e-7, "grad y=\(y)")
        }
    }

    func testKLTeacherGradient() {
        var rng = RandomStream(seed: 23)
        let s = rng.floats(n * c * h * w, -3, 3), t = rng.floats(s.count, -3, 3)
        let lt = logSoftmax(t.map(Double.init))
        func reference(_ sd: [Double]) -> Double {
            let ls = logSoftmax(sd)
            var total = 0.0
            for i in 0..<sd.count { total += exp(lt[i]) * (lt[i] - ls[i]) }
            return total / Double(sd.count)
        }
        var grad = [Float](repeating: 0, count: s.count)
        let loss = klTeacherLoss(gradStudent: &grad, student: s, teacher: t,
                                 batch: n, channels: c, height: h, width: w)
        XCTAssertEqual(loss, reference(s.map(Double.init)), accuracy: 1e-7)
        opsAssertClose(grad, opsNumericGradient(s, reference), tolerance: 1e-7, "grad_student")
        // Identical inputs: zero loss, zero gradient.
        var zero = [Float](repeating: 0, count: s.count)
        XCTAssertEqual(klTeacherLoss(gradStudent: &zero, student: s, teacher: s,
                                     batch: n, channels: c, height: h, width: w), 0,
                       accuracy: 1e-7)
        XCTAssertTrue(zero.allSatisfy { abs($0) < 1e-8 })
    }

    func testEntropyGradient() {
        var rng = RandomStream(seed: 24)
        let x = rng.floats(n * c * h * w, -3, 3)
        let denominator = Double(n * h * w) * log2(Double(c))
        func reference(_ xd: [Double]) -> Double {
            opsSoftmaxReference(xd, n: n, c: c, hw: h * w)
                .reduce(0) { $0 - $1 * log2($1 + 1e-30) } / denominator
        }
        var grad = [Float](repeating: 0, count: x.count)
        let loss = entropyLoss(gradLogits: &grad, logits: x, scale: 1,
                               batch: n, channels: c, height: h, width: w)
        XCTAssertEqual(loss, reference(x.map(Double.init)), accuracy: 1e-6)
        opsAssertClose(grad, opsNumericGradient(x, reference), tolerance: 1e-6, "grad_logits")
    }
}
