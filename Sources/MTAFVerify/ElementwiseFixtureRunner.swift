// ElementwiseFixtureRunner: runs the non-convolution op fixtures (`op_bn_*`, `op_relu`,
// `op_leaky_relu`, `op_maxpool_*`, `op_resize_*`, `op_softmax`, `op_self_information`) through
// the ops of `Ops/`. Sizes come from the stored tensors ([N, C, H, W]); hyper-parameters from
// the sidecar.

import MTAFNet

/// Runs the sidecar ops batchnorm2d, relu, leaky_relu, maxpool2d, bilinear_align_corners,
/// softmax_channels and self_information_of_softmax: forward, then the data gradient of
/// `grad_out`.
public enum ElementwiseFixtureRunner: FixtureRunner {
    static let ops: Set<String> = ["batchnorm2d", "relu", "leaky_relu", "maxpool2d",
                                   "bilinear_align_corners", "softmax_channels",
                                   "self_information_of_softmax"]

    public static func handles(_ fixture: Fixture) -> Bool {
        guard let op = try? fixture.string("op") else { return false }
        return ops.contains(op)
    }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let op = try fixture.string("op")
        let input = try fixture.tensor("input")
        let gradOut = try fixture.tensor("grad_out")
        switch op {
        case "batchnorm2d":
            return try batchNorm(fixture, input: input, gradOut: gradOut)
        case "relu", "leaky_relu":
            return try activation(fixture, op: op, input: input, gradOut: gradOut)
        case "maxpool2d":
            return try maxPool(fixture, input: input, gradOut: gradOut)
        case "bilinear_align_corners":
            return try resize(fixture, input: input, gradOut: gradOut)
        case "softmax_channels", "self_information_of_softmax":
            return try channelSoftmax(fixture, op: op, input: input, gradOut: gradOut)
        default:
            throw FixtureError.unsupported(file: fixture.sidecarPath, reason: "op '\(op)' is not an elementwise op")
        }
    }

    // MARK: Ops

    private static func batchNorm(_ fixture: Fixture, input: Tensor,
                                  gradOut: Tensor) throws -> [String: Tensor] {
        let (n, c, h, w) = try dims4(fixture, input, "input")
        try sameShape(fixture, gradOut, "grad_out", input.shape)
        let weight = try fixture.tensor("weight"), bias = try fixture.tensor("bias")
        let runningMean = try fixture.tensor("running_mean").copy()
        let runningVar = try fixture.tensor("running_var").copy()
        for (t, key) in [(weight, "weight"), (bias, "bias"), (runningMean, "running_mean"),
                         (runningVar, "running_var")] {
            try sameShape(fixture, t, key, [c])
        }
        let train = try fixture.bool("train")
        let eps = try fixture.double("eps")
        let momentum = try fixture.double("momentum")
        let output = Tensor(shape: input.shape), gradInput = Tensor(shape: input.shape)
        if train {
            let mean = Tensor(shape: [c]), invStd = Tensor(shape: [c])
            reading(input, weight, bias) { x, g, b in
                writing(output, mean, invStd) { y, mu, s in
                    writing(runningMean, runningVar) { rm, rv in
                        batchNormTrainForward(output: y, savedMean: mu, savedInvStd: s,
                                              batchUnbiasedVariance: nil, runningMean: rm,
                                              runningVar: rv, input: x, weight: g, bias: b,
                                              eps: eps, momentum: momentum,
                                              batch: n, channels: c, height: h, width: w)
                    }
                }
            }
            reading(gradOut, input, weight) { dy, x, g in
                reading(mean, invStd) { mu, s in
                    writing(gradInput) { dx in
                        batchNormTrainBackwardData(gradInput: dx, gradOutput: dy, input: x,
                                                   savedMean: mu, savedInvStd: s, weight: g,
                                                   batch: n, channels: c, height: h, width: w)
                    }
                }
            }
        } else {
            reading(input, weight, bias) { x, g, b in
                reading(runningMean, runningVar) { rm, rv in
                    writing(output) { y in
                        batchNormEvalForward(output: y, input: x, runningMean: rm, runningVar: rv,
                                             weight: g, bias: b, eps: eps,
                                             batch: n, channels: c, height: h, width: w)
                    }
                }
            }
            reading(gradOut, runningVar, weight) { dy, rv, g in
                writing(gradInput) { dx in
                    batchNormEvalBackwardData(gradInput: dx, gradOutput: dy, runningVar: rv,
                                              weight: g, eps: eps,
                                              batch: n, channels: c, height: h, width: w)
                }
            }
        }
        return ["expected.output": output, "expected.grad_input": gradInput,
                "expected.running_mean": runningMean, "expected.running_var": runningVar]
    }

    private static func activation(_ fixture: Fixture, op: String, input: Tensor,
                                   gradOut: Tensor) throws -> [String: Tensor] {
        try sameShape(fixture, gradOut, "grad_out", input.shape)
        let slope = op == "leaky_relu" ? Float(try fixture.double("negative_slope")) : 0
        let output = Tensor(shape: input.shape), gradInput = Tensor(shape: input.shape)
        let count = input.count
        reading(input, gradOut) { x, dy in
            writing(output, gradInput) { y, dx in
                if op == "relu" {
                    reluForward(output: y, input: x, count: count)
                    reluBackwardData(gradInput: dx, gradOutput: dy, input: x, count: count)
                } else {
                    leakyReLUForward(output: y, input: x, negativeSlope: slope, count: count)
                    leakyReLUBackwardData(gradInput: dx, gradOutput: dy, input: x,
                                          negativeSlope: slope, count: count)
                }
            }
        }
        return ["expected.output": output, "expected.grad_input": gradInput]
    }

    private static func maxPool(_ fixture: Fixture, input: Tensor,
                                gradOut: Tensor) throws -> [String: Tensor] {
        let (n, c, h, w) = try dims4(fixture, input, "input")
        let k = try fixture.int("kernel"), s = try fixture.int("stride")
        let p = try fixture.int("padding"), ceil = try fixture.bool("ceil_mode")
        guard k > 0, s > 0, p >= 0, 2 * p <= k, h + 2 * p >= k, w + 2 * p >= k else {
            throw FixtureError.unsupported(file: fixture.sidecarPath,
                                           reason: "max-pool kernel \(k), stride \(s), padding \(p) on \(h)×\(w)")
        }
        let oh = maxPoolOutputSize(inputSize: h, kernel: k, stride: s, padding: p, ceilMode: ceil)
        let ow = maxPoolOutputSize(inputSize: w, kernel: k, stride: s, padding: p, ceilMode: ceil)
        try sameShape(fixture, gradOut, "grad_out", [n, c, oh, ow])
        let output = Tensor(shape: [n, c, oh, ow]), gradInput = Tensor(shape: input.shape)
        var argmax = [Int32](repeating: 0, count: n * c * oh * ow)
        argmax.withUnsafeMutableBufferPointer { idx in
            reading(input) { x in
                writing(output) { y in
                    maxPoolForward(output: y, argmax: idx.baseAddress!, input: x, kernel: k,
                                   stride: s, padding: p, ceilMode: ceil,
                                   batch: n, channels: c, height: h, width: w)
                }
            }
            reading(gradOut) { dy in
                writing(gradInput) { dx in
                    maxPoolBackwardData(gradInput: dx, gradOutput: dy,
                                        argmax: UnsafePointer(idx.baseAddress!),
                                        batch: n, channels: c, height: h, width: w,
                                        outputHeight: oh, outputWidth: ow)
                }
            }
        }
        return ["expected.output": output, "expected.grad_input": gradInput]
    }

    private static func resize(_ fixture: Fixture, input: Tensor,
                               gradOut: Tensor) throws -> [String: Tensor] {
        let (n, c, h, w) = try dims4(fixture, input, "input")
        let size = try fixture.intArray("size")
        guard size.count == 2, size[0] > 0, size[1] > 0 else {
            throw FixtureError.wrongType(file: fixture.sidecarPath, key: "size",
                                         wanted: "two positive integers [H, W]")
        }
        let (oh, ow) = (size[0], size[1])
        try sameShape(fixture, gradOut, "grad_out", [n, c, oh, ow])
        let output = Tensor(shape: [n, c, oh, ow]), gradInput = Tensor(shape: input.shape)
        reading(input, gradOut) { x, dy in
            writing(output, gradInput) { y, dx in
                bilinearResizeForward(output: y, input: x, batch: n, channels: c,
                                      inputHeight: h, inputWidth: w,
                                      outputHeight: oh, outputWidth: ow)
                bilinearResizeBackwardData(gradInput: dx, gradOutput: dy, batch: n, channels: c,
                                           inputHeight: h, inputWidth: w,
                                           outputHeight: oh, outputWidth: ow)
            }
        }
        return ["expected.output": output, "expected.grad_input": gradInput]
    }

    private static func channelSoftmax(_ fixture: Fixture, op: String, input: Tensor,
                                       gradOut: Tensor) throws -> [String: Tensor] {
        let (n, c, h, w) = try dims4(fixture, input, "input")
        try sameShape(fixture, gradOut, "grad_out", input.shape)
        let output = Tensor(shape: input.shape), gradInput = Tensor(shape: input.shape)
        if op == "softmax_channels" {
            reading(input, gradOut) { x, dy in
                writing(output, gradInput) { y, dx in
                    softmaxChannelsForward(output: y, input: x,
                                           batch: n, channels: c, height: h, width: w)
                    softmaxChannelsBackwardData(gradInput: dx, gradOutput: dy, output: y,
                                                batch: n, channels: c, height: h, width: w)
                }
            }
        } else {
            let probabilities = Tensor(shape: input.shape)
            reading(input, gradOut) { x, dy in
                writing(output, gradInput, probabilities) { y, dx, p in
                    selfInformationForward(output: y, probabilities: p, logits: x,
                                           batch: n, channels: c, height: h, width: w)
                    selfInformationBackwardData(gradLogits: dx, gradOutput: dy, probabilities: p,
                                                batch: n, channels: c, height: h, width: w)
                }
            }
        }
        return ["expected.output": output, "expected.grad_input": gradInput]
    }

    // MARK: Helpers

    private static func dims4(_ fixture: Fixture, _ t: Tensor,
                              _ key: String) throws -> (Int, Int, Int, Int) {
        guard t.shape.count == 4, t.count > 0 else {
            throw FixtureError.unsupported(file: fixture.path,
                                           reason: "tensor '\(key)' has shape \(t.shape), wanted non-empty [N, C, H, W]")
        }
        return (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    }

    private static func sameShape(_ fixture: Fixture, _ t: Tensor, _ key: String,
                                  _ shape: [Int]) throws {
        guard t.shape == shape else {
            throw FixtureError.unsupported(file: fixture.path,
                                           reason: "tensor '\(key)' has shape \(t.shape), wanted \(shape)")
        }
    }
}

// Pointer access without letting pointers escape their closures.

private func reading<R>(_ a: Tensor, _ body: (UnsafePointer<Float>) -> R) -> R {
    a.withUnsafeBufferPointer { body($0.baseAddress!) }
}

private func reading<R>(_ a: Tensor, _ b: Tensor,
                        _ body: (UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
    reading(a) { pa in reading(b) { pb in body(pa, pb) } }
}

private func reading<R>(_ a: Tensor, _ b: Tensor, _ c: Tensor,
                        _ body: (UnsafePointer<Float>, UnsafePointer<Float>,
                                 UnsafePointer<Float>) -> R) -> R {
    reading(a, b) { pa, pb in reading(c) { pc in body(pa, pb, pc) } }
}

private func writing<R>(_ a: Tensor, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
    a.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

private func writing<R>(_ a: Tensor, _ b: Tensor,
                        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> R)
    -> R {
    writing(a) { pa in writing(b) { pb in body(pa, pb) } }
}

private func writing<R>(_ a: Tensor, _ b: Tensor, _ c: Tensor,
                        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                 UnsafeMutablePointer<Float>) -> R) -> R {
    writing(a, b) { pa, pb in writing(c) { pc in body(pa, pb, pc) } }
}
