// The stem's max-pool (3×3, stride 2, padding 1, ceil mode) over `Ops/MaxPool`.
//
// Sizes: N batch, C channels, H×W input, OH×OW output (`maxPoolOutputSize`). Input
// [N, C, H, W], output [N, C, OH, OW]. What the backward needs: the argmax of every window
// ([N, C, OH, OW] Int32) and the input size.

/// Max-pooling with explicit forward and backward (architecture §2.1). Spec §2.1 (PyTorch
/// `nn.MaxPool2d(kernel_size=3, stride=2, padding=1, ceil_mode=True)`).
public final class MaxPoolLayer {
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let ceilMode: Bool
    private var argmax: [Int32] = []
    private var inputShape: [Int]?

    public init(kernel: Int = 3, stride: Int = 2, padding: Int = 1, ceilMode: Bool = true) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.ceilMode = ceilMode
    }

    /// The output extent along one axis of `size` input elements.
    public func outputSize(_ size: Int) -> Int {
        maxPoolOutputSize(inputSize: size, kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode)
    }

    /// - Parameters:
    ///   - input: [N, C, H, W].
    ///   - retain: keep the argmax for `backward`.
    /// - Returns: [N, C, OH, OW], a new tensor.
    public func forward(_ input: Tensor, retain: Bool) -> Tensor {
        precondition(input.rank == 4, "MaxPoolLayer: input \(input.shape) is not [N, C, H, W]")
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let output = Tensor(shape: [n, c, outputSize(h), outputSize(w)])
        if argmax.count != output.count {
            argmax = [Int32](repeating: 0, count: output.count)
        }
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                argmax.withUnsafeMutableBufferPointer { index in
                    maxPoolForward(output: y.baseAddress!, argmax: index.baseAddress!, input: x.baseAddress!,
                                   kernel: kernel, stride: stride, padding: padding, ceilMode: ceilMode,
                                   batch: n, channels: c, height: h, width: w)
                }
            }
        }
        inputShape = retain ? input.shape : nil
        if !retain { argmax = [] }
        return output
    }

    /// Routes each output gradient to its window's argmax.
    ///
    /// - Parameters:
    ///   - gradOutput: [N, C, OH, OW].
    ///   - release: drop the argmax afterwards.
    /// - Returns: [N, C, H, W], a new tensor.
    public func backward(_ gradOutput: Tensor, release: Bool = true) -> Tensor {
        precondition(inputShape != nil, "MaxPoolLayer: backward without a retained forward")
        let shape = inputShape!
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let oh = outputSize(h), ow = outputSize(w)
        precondition(gradOutput.shape == [n, c, oh, ow], "MaxPoolLayer: gradOutput \(gradOutput.shape) does not match the forward")
        let gx = Tensor(shape: shape)
        gx.withUnsafeMutableBufferPointer { dx in
            gradOutput.withUnsafeBufferPointer { gy in
                argmax.withUnsafeBufferPointer { index in
                    maxPoolBackwardData(gradInput: dx.baseAddress!, gradOutput: gy.baseAddress!,
                                        argmax: index.baseAddress!, batch: n, channels: c,
                                        height: h, width: w, outputHeight: oh, outputWidth: ow)
                }
            }
        }
        if release { releaseActivations() }
        return gx
    }

    /// Drops the retained argmax without a backward.
    public func releaseActivations() {
        inputShape = nil
        argmax = []
    }
}
