import XCTest
@testable import MTAFNet

final class BatchNormTests: XCTestCase {
    func testTrainFixture() { XCTAssertFixturePasses("op_bn_train") }
    func testEvalFixture() { XCTAssertFixturePasses("op_bn_eval") }

    private let (n, c, h, w) = (2, 3, 3, 5)

    /// Train-mode forward in Double: y = (x − μ)/√(σ²_biased + eps)·γ + β.
    private func referenceTrain(_ x: [Double], _ gamma: [Float], _ beta: [Float]) -> [Double] {
        let hw = h * w, m = Double(n * hw)
        var y = x
        for ch in 0..<c {
            var s = 0.0
            for b in 0..<n { for i in 0..<hw { s += x[(b * c + ch) * hw + i] } }
            let mu = s / m
            var v = 0.0
            for b in 0..<n { for i in 0..<hw { v += pow(x[(b * c + ch) * hw + i] - mu, 2) } }
            let inv = 1 / (v / m + 1e-5).squareRoot()
            for b in 0..<n {
                for i in 0..<hw {
                    let k = (b * c + ch) * hw + i
                    y[k] = (x[k] - mu) * inv * Double(gamma[ch]) + Double(beta[ch])
                }
            }
        }
        return y
    }

    /// The train-mode data gradient matches central differences of a Double forward.
    func testTrainBackwardMatchesFiniteDifferences() {
        var rng = RandomStream(seed: 7)
        let count = n * c * h * w
        let x = rng.floats(count, -1, 3), dy = rng.floats(count)
        let gamma = rng.floats(c, 0.5, 1.5), beta = rng.floats(c)
        var y = [Float](repeating: 0, count: count)
        var mean = [Float](repeating: 0, count: c), invStd = mean
        batchNormTrainForward(output: &y, savedMean: &mean, savedInvStd: &invStd,
                              batchUnbiasedVariance: nil, runningMean: nil, runningVar: nil,
                              input: x, weight: gamma, bias: beta,
                              batch: n, channels: c, height: h, width: w)
        opsAssertClose(y, referenceTrain(x.map(Double.init), gamma, beta), tolerance: 1e-5,
                       "forward")
        var dx = [Float](repeating: 0, count: count)
        batchNormTrainBackwardData(gradInput: &dx, gradOutput: dy, input: x, savedMean: mean,
                                   savedInvStd: invStd, weight: gamma,
                                   batch: n, channels: c, height: h, width: w)
        let numeric = opsNumericGradient(x) { xd in
            zip(referenceTrain(xd, gamma, beta), dy).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        opsAssertClose(dx, numeric, tolerance: 2e-4, "grad_input")
    }

    /// `batchNormStatistics` + `batchNormUpdateRunningStatistics` reproduce the forward's
    /// in-place EMA, and the unbiased variance is biased·m/(m − 1).
    func testSeparateStatisticsAndEMA() {
        var rng = RandomStream(seed: 8)
        let count = n * c * h * w
        let x = rng.floats(count, -1, 3)
        let gamma = [Float](repeating: 1, count: c), beta = [Float](repeating: 0, count: c)
        var rm = rng.floats(c), rv = rng.floats(c, 0.5, 2)
        let (rm0, rv0) = (rm, rv)
        var y = [Float](repeating: 0, count: count)
        var mean = [Float](repeating: 0, count: c), invStd = mean, unbiased = mean
        batchNormTrainForward(output: &y, savedMean: &mean, savedInvStd: &invStd,
                              batchUnbiasedVariance: &unbiased, runningMean: &rm, runningVar: &rv,
                              input: x, weight: gamma, bias: beta,
                              batch: n, channels: c, height: h, width: w)
        var mean2 = [Float](repeating: 0, count: c), unbiased2 = mean2
        batchNormStatistics(mean: &mean2, unbiasedVariance: &unbiased2, input: x,
                            batch: n, channels: c, height: h, width: w)
        XCTAssertEqual(mean, mean2)
        XCTAssertEqual(unbiased, unbiased2)
        var rmB = rm0, rvB = rv0
        batchNormUpdateRunningStatistics(runningMean: &rmB, runningVar: &rvB, batchMean: mean2,
                                         batchUnbiasedVariance: unbiased2, channels: c)
        XCTAssertEqual(rm, rmB)
        XCTAssertEqual(rv, rvB)
        let m = Double(n * h * w)
        for ch in 0..<c {
            var s = 0.0, ss = 0.0
            for b in 0..<n {
                for i in 0..<(h * w) { s += Double(x[(b * c + ch) * h * w + i]) }
            }
            let mu = s / m
            for b in 0..<n {
                for i in 0..<(h * w) { ss += pow(Double(x[(b * c + ch) * h * w + i]) - mu, 2) }
            }
            XCTAssertEqual(Double(unbiased[ch]), ss / (m - 1), accuracy: 1e-6)
            XCTAssertEqual(Double(invStd[ch]), 1 / (ss / m + 1e-5).squareRoot(), accuracy: 1e-6)
            XCTAssertEqual(Double(rm[ch]), 0.9 * Double(rm0[ch]) + 0.1 * mu, accuracy: 1e-6)
            XCTAssertEqual(Double(rv[ch]), 0.9 * Double(rv0[ch]) + 0.1 * ss / (m - 1),
                           accuracy: 1e-6)
        }
    }

    /// Eval mode is an affine map per channel: the backward is the plain scale and accumulates.
    func testEvalBackwardIsScale() {
        var rng = RandomStream(seed: 9)
        let count = n * c * h * w
        let dy = rng.floats(count), gamma = rng.floats(c), rv = rng.floats(c, 0.1, 2)
        var dx = [Float](repeating: 1, count: count)
        batchNormEvalBackwardData(gradInput: &dx, gradOutput: dy, runningVar: rv, weight: gamma,
                                  batch: n, channels: c, height: h, width: w)
        for k in 0..<count {
            let ch = (k / (h * w)) % c
            let s = Double(gamma[ch]) / (Double(rv[ch]) + 1e-5).squareRoot()
            XCTAssertEqual(Double(dx[k]), 1 + s * Double(dy[k]), accuracy: 1e-5)
        }
    }

    /// A fused ReLU (`appliesReLU`, `reluOutput`) gives, bit for bit, what the BatchNorm and a
    /// separate ReLU give (the same float operations), in train and eval mode, NaN and −0 included;
    /// so does a backward written over its output gradient (`overwritesGradInput`).
    func testFusedReLUMatchesSeparateOps() {
        let (n, c, h, w) = (2, 3, 5, 7)  // 35 per plane: SIMD blocks and a scalar tail
        let count = n * c * h * w
        var random = RandomStream(seed: 31)
        let x = random.floats(count, -1, 2)
        var dy = random.floats(count)
        dy[4] = -0.0; dy[9] = .nan
        let gamma = random.floats(c, 0.5, 1.5), beta = random.floats(c)
        let runningMean = random.floats(c), runningVar = random.floats(c, 0.5, 2)
        for training in [true, false] {
            var mean = [Float](repeating: 0, count: c), invStd = mean
            func forward(_ relu: Bool) -> [Float] {
                var y = [Float](repeating: 0, count: count)
                if training {
                    batchNormTrainForward(output: &y, savedMean: &mean, savedInvStd: &invStd,
                                          batchUnbiasedVariance: nil, runningMean: nil, runningVar: nil,
                                          input: x, weight: gamma, bias: beta, appliesReLU: relu,
                                          batch: n, channels: c, height: h, width: w)
                } else {
                    batchNormEvalForward(output: &y, input: x, runningMean: runningMean, runningVar: runningVar,
                                         weight: gamma, bias: beta, appliesReLU: relu,
                                         batch: n, channels: c, height: h, width: w)
                }
                return y
            }
            // Accumulated into a tensor of `start`, or, without one, written over the output
            // gradient in its own buffer.
            func backward(_ gradient: [Float], mask: [Float]?, start: Float?) -> [Float] {
                var dx = start.map { [Float](repeating: $0, count: count) } ?? gradient
                mask.withOptionalPointer { u in
                    gradient.withUnsafeBufferPointer { g in
                        dx.withUnsafeMutableBufferPointer { d in
                            let dy = start == nil ? UnsafePointer(d.baseAddress!) : g.baseAddress!
                            if training {
                                batchNormTrainBackwardData(gradInput: d.baseAddress!, gradOutput: dy, reluOutput: u,
                                                           overwritesGradInput: start == nil, input: x,
                                                           savedMean: mean, savedInvStd: invStd, weight: gamma,
                                                           batch: n, channels: c, height: h, width: w)
                            } else {
                                batchNormEvalBackwardData(gradInput: d.baseAddress!, gradOutput: dy, reluOutput: u,
                                                          overwritesGradInput: start == nil, runningVar: runningVar,
                                                          weight: gamma, batch: n, channels: c, height: h, width: w)
                            }
                        }
                    }
                }
                return dx
            }
            var separate = forward(false)
            reluForwardInPlace(values: &separate, count: count)
            let fused = forward(true)
            XCTAssertEqual(fused.map(\.bitPattern), separate.map(\.bitPattern), "forward, training \(training)")
            XCTAssertTrue(fused.contains(0) && fused.contains { $0 > 0 })
            var masked = dy
            reluBackwardDataInPlace(gradient: &masked, input: separate, count: count)
            XCTAssertEqual(backward(dy, mask: fused, start: 0.25).map(\.bitPattern),
                           backward(masked, mask: nil, start: 0.25).map(\.bitPattern), "backward, training \(training)")
            // Written in place = accumulated into zeros (−0 becomes +0 either way).
            let inPlace = backward(dy, mask: fused, start: nil)
            XCTAssertEqual(inPlace.map(\.bitPattern),
                           backward(masked, mask: nil, start: 0).map(\.bitPattern), "in place, training \(training)")
            XCTAssertFalse(inPlace.contains { $0 == 0 && $0.sign == .minus })
        }
    }
}

private extension Optional where Wrapped == [Float] {
    /// Calls `body` with a pointer to the array's elements, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<Float>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0.baseAddress!) }
        case .none: return body(nil)
        }
    }
}
