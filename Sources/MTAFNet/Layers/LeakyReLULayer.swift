// LeakyReLU applied in place on a convolution's fresh output (the discriminator), over
// `Ops/Activations`.
//
// Sizes: any shape, `count` elements. What the backward needs: the forward's output (a
// reference; for a positive slope, output > 0 ⇔ input > 0).

/// In-place LeakyReLU with an in-place backward (architecture §2.1). Spec §3 (PyTorch `nn.LeakyReLU(0.2)`).
public final class LeakyReLULayer {
    /// The slope for x ≤ 0 (0.2 in the discriminator); must be positive.
    public let negativeSlope: Float
    private var savedOutput: Tensor?

    public init(negativeSlope: Float = 0.2) {
        precondition(negativeSlope > 0, "LeakyReLULayer: the slope must be positive to backpropagate from the output")
        self.negativeSlope = negativeSlope
    }

    /// `values = values > 0 ? values : slope·values` in place.
    ///
    /// - Parameters:
    ///   - values: any shape; overwritten.
    ///   - retain: keep `values` (by reference) for `backward`.
    /// - Returns: `values`.
    @discardableResult
    public func forward(_ values: Tensor, retain: Bool) -> Tensor {
        values.withUnsafeMutableBufferPointer { v in
            leakyReLUForwardInPlace(values: v.baseAddress!, negativeSlope: negativeSlope, count: v.count)
        }
        savedOutput = retain ? values : nil
        return values
    }

    /// Turns the output gradient into the input gradient in place.
    ///
    /// - Parameters:
    ///   - gradient: same shape as the forward's tensor; overwritten.
    ///   - release: drop the retained output afterwards.
    /// - Returns: `gradient`.
    @discardableResult
    public func backward(_ gradient: Tensor, release: Bool = true) -> Tensor {
        precondition(savedOutput != nil, "LeakyReLULayer: backward without a retained forward")
        let output = savedOutput!
        precondition(gradient.shape == output.shape, "LeakyReLULayer: gradient \(gradient.shape) is not \(output.shape)")
        gradient.withUnsafeMutableBufferPointer { g in
            output.withUnsafeBufferPointer { y in
                leakyReLUBackwardDataInPlace(gradient: g.baseAddress!, input: y.baseAddress!,
                                             negativeSlope: negativeSlope, count: g.count)
            }
        }
        if release { savedOutput = nil }
        return gradient
    }

    /// Drops the retained output without a backward.
    public func releaseActivations() { savedOutput = nil }
}
