// Runs `"op": "conv2d"` fixtures through conv2dForward / conv2dBackwardData / conv2dBackwardWeight.
//
// Sizes: N batch, Cin, Cout, H×W input, KH×KW kernel, Ho×Wo output; every size comes from the
// tensors and the sidecar (in_channels, out_channels, kernel, stride, padding, dilation, bias),
// where kernel, stride, padding and dilation may be an integer or an [h, w] pair.

import MTAFNet

/// The conv2d fixture runner: inputs `input` [N, Cin, H, W], `weight` [Cout, Cin, KH, KW],
/// `bias` [Cout] (when the sidecar's `bias` is true) and `grad_out` [N, Cout, Ho, Wo]; outputs
/// `expected.output`, `expected.grad_input`, `expected.grad_weight` and, with bias,
/// `expected.grad_bias`. Spec §2.1–§2.4, §3; PyTorch `nn.Conv2d` forward and backward.
public enum Conv2dFixtureRunner: FixtureRunner {
    public static func handles(_ fixture: Fixture) -> Bool {
        (try? fixture.string("op")) == "conv2d"
    }

    public static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let file = fixture.sidecarPath
        let input = try fixture.tensor("input")
        let weight = try fixture.tensor("weight")
        let gradOut = try fixture.tensor("grad_out")
        guard input.rank == 4 else {
            throw FixtureError.unsupported(file: file, reason: "tensor 'input' has shape \(input.shape), wanted [N, Cin, H, W]")
        }
        guard weight.rank == 4 else {
            throw FixtureError.unsupported(file: file, reason: "tensor 'weight' has shape \(weight.shape), wanted [Cout, Cin, KH, KW]")
        }
        let (kh, kw) = try pair(fixture, "kernel")
        let (sh, sw) = try pair(fixture, "stride")
        let (ph, pw) = try pair(fixture, "padding")
        let (dh, dw) = try pair(fixture, "dilation")
        let cin = try fixture.int("in_channels"), cout = try fixture.int("out_channels")
        let hasBias = try fixture.bool("bias")
        let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
        guard input.shape[1] == cin, weight.shape == [cout, cin, kh, kw] else {
            throw FixtureError.unsupported(file: file, reason:
                "input \(input.shape) / weight \(weight.shape) disagree with in_channels \(cin), out_channels \(cout), kernel \(kh)x\(kw)")
        }
        guard sh > 0, sw > 0, dh > 0, dw > 0, ph >= 0, pw >= 0, h > 0, w > 0 else {
            throw FixtureError.unsupported(file: file, reason: "stride/dilation must be positive, padding non-negative, map non-empty")
        }
        let geometry = Conv2dGeometry(inChannels: cin, outChannels: cout, kernelH: kh, kernelW: kw,
                                      strideH: sh, strideW: sw, padH: ph, padW: pw,
                                      dilationH: dh, dilationW: dw)
        let ho = geometry.outputHeight(h), wo = geometry.outputWidth(w)
        guard ho > 0, wo > 0, gradOut.shape == [n, cout, ho, wo] else {
            throw FixtureError.unsupported(file: file, reason:
                "tensor 'grad_out' has shape \(gradOut.shape), the convolution gives [\(n), \(cout), \(ho), \(wo)]")
        }
        let bias: Tensor? = hasBias ? try fixture.tensor("bias") : nil
        if let bias, bias.shape != [cout] {
            throw FixtureError.unsupported(file: file, reason: "tensor 'bias' has shape \(bias.shape), wanted [\(cout)]")
        }

        let output = Tensor(shape: [n, cout, ho, wo])
        let gradInput = Tensor(shape: input.shape)
        let gradWeight = Tensor(shape: weight.shape)
        let gradBias = Tensor(shape: [cout])
        let workspace = ConvWorkspace()
        input.withUnsafeBufferPointer { x in
        weight.withUnsafeBufferPointer { wt in
        gradOut.withUnsafeBufferPointer { gy in
            output.withUnsafeMutableBufferPointer { y in
                if let bias {
                    bias.withUnsafeBufferPointer { b in
                        conv2dForward(output: y.baseAddress!, input: x.baseAddress!, weight: wt.baseAddress!,
                                      bias: b.baseAddress!, workspace: workspace,
                                      geometry: geometry, batch: n, height: h, width: w)
                    }
                } else {
                    conv2dForward(output: y.baseAddress!, input: x.baseAddress!, weight: wt.baseAddress!,
                                  bias: nil, workspace: workspace,
                                  geometry: geometry, batch: n, height: h, width: w)
                }
            }
            gradInput.withUnsafeMutableBufferPointer { gx in
                conv2dBackwardData(gradInput: gx.baseAddress!, gradOutput: gy.baseAddress!,
                                   weight: wt.baseAddress!, workspace: workspace,
                                   geometry: geometry, batch: n, height: h, width: w)
            }
            gradWeight.withUnsafeMutableBufferPointer { gw in
            gradBias.withUnsafeMutableBufferPointer { gb in
                conv2dBackwardWeight(gradWeight: gw.baseAddress!, gradBias: hasBias ? gb.baseAddress! : nil,
                                     input: x.baseAddress!, gradOutput: gy.baseAddress!,
                                     workspace: workspace,
                                     geometry: geometry, batch: n, height: h, width: w)
            }
            }
        }
        }
        }
        var result = ["expected.output": output, "expected.grad_input": gradInput,
                      "expected.grad_weight": gradWeight]
        if hasBias { result["expected.grad_bias"] = gradBias }
        return result
    }

    /// One convolution: each GEMM's bf16 bound (spec §4.13) from its reduction length and its
    /// operands' largest magnitudes: the output sums Cin·KH·KW products of input and weight, the
    /// input gradient at most Cout·KH·KW of output gradient and weight, the weight gradient
    /// N·Ho·Wo of output gradient and input. The bias gradient has no product: not listed.
    public static func bf16Bound(_ fixture: Fixture) throws -> BF16Bound {
        let input = try fixture.tensor("input"), weight = try fixture.tensor("weight")
        let gradOut = try fixture.tensor("grad_out")
        func largest(_ t: Tensor) -> Float { t.withUnsafeBufferPointer { $0.reduce(0) { max($0, abs($1)) } } }
        let (x, w, gy) = (largest(input), largest(weight), largest(gradOut))
        let (cout, cin, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let outputPixels = gradOut.shape[0] * gradOut.shape[2] * gradOut.shape[3]
        return .added(["expected.output": bf16ProductBound(reduction: cin * kh * kw, maxX: x, maxY: w),
                       "expected.grad_input": bf16ProductBound(reduction: cout * kh * kw, maxX: gy, maxY: w),
                       "expected.grad_weight": bf16ProductBound(reduction: outputPixels, maxX: gy, maxY: x)])
    }

    /// A sidecar value that is either one integer (both axes) or an [h, w] pair.
    private static func pair(_ fixture: Fixture, _ key: String) throws -> (Int, Int) {
        if fixture.value(key) is [Any] {
            let values = try fixture.intArray(key)
            guard values.count == 2 else {
                throw FixtureError.unsupported(file: fixture.sidecarPath, reason: "sidecar key '\(key)' has \(values.count) entries, wanted 1 or 2")
            }
            return (values[0], values[1])
        }
        let value = try fixture.int(key)
        return (value, value)
    }
}
