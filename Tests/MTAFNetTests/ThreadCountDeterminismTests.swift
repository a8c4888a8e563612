// Every op that runs on several threads outside the GEMM, and a whole small model's training
// step, give bit-identical results on 1, 2 and 7 threads (Runtime/ParallelFor: chunks are a
// property of the problem, sums are combined in chunk order). Sizes are chosen above the
// single-thread threshold (`parallelMinimumWork`) so that the threaded path really runs.

import XCTest
@testable import MTAFNet

final class ThreadCountDeterminismTests: XCTestCase {
    private static let threadCounts = [1, 2, 7]
    private var savedThreads = 1

    override func setUp() {
        super.setUp()
        savedThreads = blasThreads
    }

    override func tearDown() {
        setBLASThreads(savedThreads)
        super.tearDown()
    }

    /// Runs `compute` once per thread count and asserts that every returned array has the same
    /// bit patterns as on one thread.
    private func assertSameBits(_ label: String, file: StaticString = #filePath, line: UInt = #line,
                                _ compute: () -> [[Float]]) {
        var reference: [[UInt32]]?
        for threads in Self.threadCounts {
            setBLASThreads(threads)
            XCTAssertEqual(blasThreads, threads, "\(label): thread count not applied", file: file, line: line)
            let bits = compute().map { $0.map(\.bitPattern) }
            guard let reference else {
                reference = bits
                continue
            }
            XCTAssertEqual(bits.count, reference.count, file: file, line: line)
            for (k, (a, b)) in zip(bits, reference).enumerated() {
                let firstDifference = a.indices.first { $0 >= b.count || a[$0] != b[$0] }
                XCTAssertTrue(a.count == b.count && firstDifference == nil,
                              "\(label): output \(k) differs on \(threads) threads (first at \(firstDifference ?? -1))",
                              file: file, line: line)
            }
        }
    }

    private func randomFloats(_ count: Int, seed: UInt64, _ lower: Float = -2, _ upper: Float = 2) -> [Float] {
        var random = RandomStream(seed: seed)
        return random.floats(count, lower, upper)
    }

    // MARK: BatchNorm (fused ReLU included)

    private let (n, c, h, w) = (2, 16, 33, 37)

    func testBatchNormTrain() {
        let count = n * c * h * w
        let x = randomFloats(count, seed: 1, -1, 3)
        let dy = randomFloats(count, seed: 2)
        let gamma = randomFloats(c, seed: 3, 0.5, 1.5), beta = randomFloats(c, seed: 4)
        for relu in [false, true] {
            assertSameBits("BN train, ReLU \(relu)") {
                var y = [Float](repeating: 0, count: count), dx = randomFloats(count, seed: 5)
                var mean = [Float](repeating: 0, count: c), invStd = mean, variance = mean
                var runningMean = randomFloats(c, seed: 6), runningVar = randomFloats(c, seed: 7, 0.5, 2)
                batchNormTrainForward(output: &y, savedMean: &mean, savedInvStd: &invStd,
                                      batchUnbiasedVariance: &variance, runningMean: &runningMean,
                                      runningVar: &runningVar, input: x, weight: gamma, bias: beta,
                                      appliesReLU: relu, batch: n, channels: c, height: h, width: w)
                y.withUnsafeBufferPointer { u in
                    batchNormTrainBackwardData(gradInput: &dx, gradOutput: dy,
                                               reluOutput: relu ? u.baseAddress! : nil, input: x,
                                               savedMean: mean, savedInvStd: invStd, weight: gamma,
                                               batch: n, channels: c, height: h, width: w)
                }
                var statMean = [Float](repeating: 0, count: c), statVariance = statMean
                batchNormStatistics(mean: &statMean, unbiasedVariance: &statVariance, input: x,
                                    batch: n, channels: c, height: h, width: w)
                return [y, dx, mean, invStd, variance, runningMean, runningVar, statMean, statVariance]
            }
        }
    }

    func testBatchNormEval() {
        let count = n * c * h * w
        let x = randomFloats(count, seed: 11)
        let dy = randomFloats(count, seed: 12)
        let gamma = randomFloats(c, seed: 13, -1.5, 1.5), beta = randomFloats(c, seed: 14)
        let runningMean = randomFloats(c, seed: 15), runningVar = randomFloats(c, seed: 16, 0.5, 2)
        for relu in [false, true] {
            assertSameBits("BN eval, ReLU \(relu)") {
                var y = [Float](repeating: 0, count: count), dx = randomFloats(count, seed: 17)
                batchNormEvalForward(output: &y, input: x, runningMean: runningMean, runningVar: runningVar,
                                     weight: gamma, bias: beta, appliesReLU: relu,
                                     batch: n, channels: c, height: h, width: w)
                y.withUnsafeBufferPointer { u in
                    batchNormEvalBackwardData(gradInput: &dx, gradOutput: dy,
                                              reluOutput: relu ? u.baseAddress! : nil, runningVar: runningVar,
                                              weight: gamma, batch: n, channels: c, height: h, width: w)
                }
                return [y, dx]
            }
        }
    }

    // MARK: ReLU, resize, max-pool, bias gradient

    func testReLULayer() {
        let shape = [2, 8, 61, 67]
        let count = shape.reduce(1, *)
        let values = randomFloats(count, seed: 21), residual = randomFloats(count, seed: 22)
        let gradient = randomFloats(count, seed: 23)
        assertSameBits("ReLU") {
            let layer = ReLULayer()
            let t = Tensor(shape: shape, values: values)
            layer.forward(t, adding: Tensor(shape: shape, values: residual), retain: true)
            let g = Tensor(shape: shape, values: gradient)
            layer.backward(g)
            let plain = Tensor(shape: shape, values: values)
            ReLULayer().forward(plain, retain: false)
            return [t.scalars, g.scalars, plain.scalars]
        }
    }

    func testBilinearResize() {
        let (n, c, ih, iw, oh, ow) = (1, 5, 21, 43, 161, 321)
        let x = randomFloats(n * c * ih * iw, seed: 31)
        let dy = randomFloats(n * c * oh * ow, seed: 32)
        assertSameBits("resize") {
            var y = [Float](repeating: 0, count: n * c * oh * ow), dx = randomFloats(x.count, seed: 33)
            bilinearResizeForward(output: &y, input: x, batch: n, channels: c,
                                  inputHeight: ih, inputWidth: iw, outputHeight: oh, outputWidth: ow)
            bilinearResizeBackwardData(gradInput: &dx, gradOutput: dy, batch: n, channels: c,
                                       inputHeight: ih, inputWidth: iw, outputHeight: oh, outputWidth: ow)
            return [y, dx]
        }
    }

    func testMaxPool() {
        let (n, c, h, w) = (2, 16, 41, 59)
        let oh = maxPoolOutputSize(inputSize: h, kernel: 3, stride: 2, padding: 1, ceilMode: true)
        let ow = maxPoolOutputSize(inputSize: w, kernel: 3, stride: 2, padding: 1, ceilMode: true)
        let x = randomFloats(n * c * h * w, seed: 41).map { ($0 * 4).rounded() }  // ties
        let dy = randomFloats(n * c * oh * ow, seed: 42)
        assertSameBits("max-pool") {
            var y = [Float](repeating: 0, count: n * c * oh * ow)
            var argmax = [Int32](repeating: 0, count: y.count)
            var dx = randomFloats(x.count, seed: 43)
            maxPoolForward(output: &y, argmax: &argmax, input: x, kernel: 3, stride: 2, padding: 1,
                           ceilMode: true, batch: n, channels: c, height: h, width: w)
            maxPoolBackwardData(gradInput: &dx, gradOutput: dy, argmax: argmax, batch: n, channels: c,
                                height: h, width: w, outputHeight: oh, outputWidth: ow)
            return [y, argmax.map { Float($0) }, dx]
        }
    }

    func testConvBiasGradient() {
        let (n, c, h, w) = (2, 19, 41, 81)
        let dy = randomFloats(n * c * h * w, seed: 51)
        assertSameBits("bias gradient") {
            var gradBias = randomFloats(c, seed: 52)
            conv2dBackwardBias(gradBias: &gradBias, gradOutput: dy, channels: c, batch: n,
                               outputHeight: h, outputWidth: w)
            return [gradBias]
        }
    }

    // MARK: Softmax, self-information, losses

    private let (ln, lc, lh, lw) = (2, 7, 37, 83)

    func testSoftmaxAndSelfInformation() {
        let count = ln * lc * lh * lw
        let x = randomFloats(count, seed: 61, -4, 4)
        let dy = randomFloats(count, seed: 62)
        assertSameBits("softmax, self-information") {
            var p = [Float](repeating: 0, count: count), dx = randomFloats(count, seed: 63)
            softmaxChannelsForward(output: &p, input: x, batch: ln, channels: lc, height: lh, width: lw)
            softmaxChannelsBackwardData(gradInput: &dx, gradOutput: dy, output: p,
                                        batch: ln, channels: lc, height: lh, width: lw)
            var info = [Float](repeating: 0, count: count), q = info, dl = randomFloats(count, seed: 64)
            selfInformationForward(output: &info, probabilities: &q, logits: x,
                                   batch: ln, channels: lc, height: lh, width: lw)
            selfInformationBackwardData(gradLogits: &dl, gradOutput: dy, probabilities: q,
                                        batch: ln, channels: lc, height: lh, width: lw)
            return [p, dx, info, q, dl]
        }
    }

    func testLosses() {
        let count = ln * lc * lh * lw
        let x = randomFloats(count, seed: 71, -4, 4), teacher = randomFloats(count, seed: 72, -4, 4)
        var random = RandomStream(seed: 73)
        // Labels: classes, and 255 (ignored) on about a tenth of the pixels.
        let labels = (0..<(ln * lh * lw)).map { _ in Int32(random.nextUniform() < 0.1 ? 255 : Int(random.nextUniform() * Float(lc)) % lc) }
        assertSameBits("losses") {
            var gCE = randomFloats(count, seed: 74), gEnt = gCE, gKL = gCE
            let ce = crossEntropy2dLoss(gradLogits: &gCE, logits: x, labels: labels, scale: 0.7,
                                        batch: ln, channels: lc, height: lh, width: lw)
            let ent = entropyLoss(gradLogits: &gEnt, logits: x, scale: 0.3,
                                  batch: ln, channels: lc, height: lh, width: lw)
            let kl = klTeacherLoss(gradStudent: &gKL, student: x, teacher: teacher, scale: 1.3,
                                   batch: ln, channels: lc, height: lh, width: lw)
            // Each Double loss as its two 32-bit halves.
            let losses = [ce, ent, kl].flatMap { value -> [Float] in
                let bits = value.bitPattern
                return [Float(bitPattern: UInt32(truncatingIfNeeded: bits)), Float(bitPattern: UInt32(bits >> 32))]
            }
            return [losses, gCE, gEnt, gKL]
        }
    }

    // MARK: A whole model

    /// A width-16 DeepLab-v2 with one block per stage: training forward (batch statistics and
    /// their EMA), a cross-entropy gradient on both heads and the backward, on 1, 2 and 7 threads:
    /// logits, parameter gradients and running statistics agree bit for bit.
    func testDeepLabV2TrainingStep() {
        let configuration = DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 16)
        var random = RandomStream(seed: 81)
        let input = Tensor(shape: [2, 3, 65, 97])
        random.fillNormal(input, mean: 0, std: 1)
        assertSameBits("DeepLab-v2 step") {
            let model = DeepLabV2(configuration, random: RandomStream(seed: 82))
            let (aux, main) = model.forward(input, training: true)
            let s = main.shape
            let labels = (0..<(s[0] * s[2] * s[3])).map { Int32($0 % s[1]) }
            func gradient(_ logits: Tensor) -> Tensor {
                let g = Tensor(shape: logits.shape)
                g.withUnsafeMutableBufferPointer { gp in
                    logits.withUnsafeBufferPointer { lp in
                        _ = crossEntropy2dLoss(gradLogits: gp.baseAddress!, logits: lp.baseAddress!,
                                               labels: labels, batch: s[0], channels: s[1],
                                               height: s[2], width: s[3])
                    }
                }
                return g
            }
            model.backward(gradAux: aux.map(gradient), gradMain: gradient(main))
            let gradients = model.parameters.withFlatGradients { Array($0) }
            let buffers = model.buffers.withFlatValues { Array($0) }
            return [main.scalars, aux?.scalars ?? [], gradients, buffers]
        }
    }
}
