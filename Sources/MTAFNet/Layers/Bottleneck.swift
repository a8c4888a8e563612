// ResNet bottleneck block (expansion 4), Caffe style: the stride sits on conv1 (1×1), the
// dilation on conv2 (3×3); optional downsample branch (1×1 conv with the stage stride + BN).
//
// Sizes: N batch, Cin = inplanes, P = planes, 4P output channels; input [N, Cin, H, W],
// output [N, 4P, Ho, Wo] with Ho = ⌊(H − 1)/stride⌋ + 1. Tensors held for the backward (all by
// reference): x (conv1's and the downsample's input), conv outputs t1, t2, t3, td (BN inputs),
// the ReLU outputs u1, u2 (conv2's, conv3's inputs; bn1 and bn2 apply those ReLUs and hold them
// as their masks) and the block output (the last ReLU's mask).

/// One bottleneck block with explicit forward and backward (architecture §2.1).
/// Spec §2.2, §2.3 (upstream `Bottleneck`).
public final class Bottleneck {
    public let key: String
    public let conv1: Conv2dLayer
    /// bn1 followed by its ReLU (`appliesReLU`).
    public let bn1: BatchNorm2dLayer
    public let conv2: Conv2dLayer
    /// bn2 followed by its ReLU (`appliesReLU`).
    public let bn2: BatchNorm2dLayer
    public let conv3: Conv2dLayer
    public let bn3: BatchNorm2dLayer
    /// `downsample.0` (1×1 conv, stage stride) and `downsample.1` (BN), when present.
    public let downsample: (conv: Conv2dLayer, bn: BatchNorm2dLayer)?
    /// The residual sum and the last ReLU.
    public let relu3 = ReLULayer()
    private var inputShape: [Int]?

    /// Registers conv1, bn1, conv2, bn2, conv3, bn3, downsample.0, downsample.1 in that order.
    ///
    /// - Parameters:
    ///   - key: e.g. `layer3.0`.
    ///   - inplanes: Cin.
    ///   - planes: P.
    ///   - stride: on conv1 and the downsample conv.
    ///   - dilation: of conv2 (padding = dilation).
    ///   - hasDownsample: whether the block has the downsample branch (spec §2.3 rule).
    ///   - parameters: the trainable store (conv weights).
    ///   - buffers: the frozen store (BN tensors).
    ///   - stateDict, workspace: the model's.
    public init(key: String, inplanes: Int, planes: Int, stride: Int, dilation: Int, hasDownsample: Bool,
                parameters: ParameterStore, buffers: ParameterStore, stateDict: StateDict,
                workspace: ConvWorkspace) {
        self.key = key
        func conv(_ name: String, _ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, dilation: Int = 1) -> Conv2dLayer {
            Conv2dLayer(key: "\(key).\(name)",
                        geometry: Conv2dGeometry(inChannels: cin, outChannels: cout, kernel: k, stride: stride,
                                                 padding: k == 3 ? dilation : 0, dilation: dilation),
                        hasBias: false, store: parameters, stateDict: stateDict, workspace: workspace)
        }
        func bn(_ name: String, _ c: Int) -> BatchNorm2dLayer {
            BatchNorm2dLayer(key: "\(key).\(name)", channels: c, store: buffers, stateDict: stateDict)
        }
        conv1 = conv("conv1", inplanes, planes, 1, stride: stride)
        bn1 = bn("bn1", planes)
        conv2 = conv("conv2", planes, planes, 3, dilation: dilation)
        bn2 = bn("bn2", planes)
        conv3 = conv("conv3", planes, 4 * planes, 1)
        bn3 = bn("bn3", 4 * planes)
        if hasDownsample {
            let c = conv("downsample.0", inplanes, 4 * planes, 1, stride: stride)
            downsample = (c, bn("downsample.1", 4 * planes))
        } else {
            precondition(stride == 1 && inplanes == 4 * planes,
                         "Bottleneck \(key): an identity shortcut needs stride 1 and inplanes = 4·planes")
            downsample = nil
        }
    }

    /// The block's BatchNorm layers in state-dict order.
    public var batchNormLayers: [BatchNorm2dLayer] {
        [bn1, bn2, bn3] + (downsample.map { [$0.bn] } ?? [])
    }

    /// The block's conv layers in state-dict order.
    public var convLayers: [Conv2dLayer] {
        [conv1, conv2, conv3] + (downsample.map { [$0.conv] } ?? [])
    }

    /// out = ReLU(bn3(conv3(ReLU(bn2(conv2(ReLU(bn1(conv1(x)))))))) + residual(x)).
    ///
    /// - Parameters:
    ///   - x: [N, Cin, H, W] (not modified; held by reference when retained).
    ///   - training: BatchNorm mode.
    ///   - retain: keep what the backward needs.
    /// - Returns: [N, 4P, Ho, Wo], a new tensor.
    public func forward(_ x: Tensor, training: Bool, retain: Bool) -> Tensor {
        let inPlace = !retain
        var t = conv1.forward(x, retain: retain)
        t = bn1.forward(t, training: training, retain: retain, overwritingInput: inPlace, appliesReLU: true)
        t = conv2.forward(t, retain: retain)
        t = bn2.forward(t, training: training, retain: retain, overwritingInput: inPlace, appliesReLU: true)
        t = conv3.forward(t, retain: retain)
        let out = bn3.forward(t, training: training, retain: retain, overwritingInput: inPlace)
        var residual = x
        if let (convD, bnD) = downsample {
            let d = convD.forward(x, retain: retain)
            residual = bnD.forward(d, training: training, retain: retain, overwritingInput: inPlace)
        }
        relu3.forward(out, adding: residual, retain: retain)
        inputShape = retain ? x.shape : nil
        return out
    }

    /// Backward of the last retained forward, in the reverse order of `forward`.
    ///
    /// - Parameters:
    ///   - gradOutput: [N, 4P, Ho, Wo]; consumed (overwritten, and reused as the input
    ///     gradient when the shortcut is the identity and no `gradInput` is given).
    ///   - gradInput: [N, Cin, H, W] to accumulate into, or nil.
    ///   - computeWeightGradients: accumulate the conv weight gradients.
    ///   - computeInputGradient: return the input gradient.
    ///   - release: drop the held activations.
    /// - Returns: the input gradient, or nil when not computed.
    @discardableResult
    public func backward(_ gradOutput: Tensor, accumulatingInto gradInput: Tensor? = nil,
                         computeWeightGradients: Bool = true, computeInputGradient: Bool = true,
                         release: Bool = true) -> Tensor? {
        precondition(inputShape != nil, "Bottleneck \(key): backward without a retained forward")
        let xShape = inputShape!
        let g = relu3.backward(gradOutput, release: release)
        var gx: Tensor? = nil
        if let (convD, bnD) = downsample {
            let gd = bnD.backward(g, release: release)
            gx = convD.backward(gd, accumulatingInto: computeInputGradient ? (gradInput ?? Tensor(shape: xShape)) : nil,
                                computeWeightGradients: computeWeightGradients,
                                computeInputGradient: computeInputGradient, release: release)
        } else if computeInputGradient, let gradInput {
            gradInput.accumulate(g)
            gx = gradInput
        }
        // With a downsample branch nothing reads g after bn3 (the identity shortcut reuses it).
        var t = bn3.backward(g, overwritingGradOutput: downsample != nil, release: release)
        t = conv3.backward(t, computeWeightGradients: computeWeightGradients, release: release)!
        t = bn2.backward(t, overwritingGradOutput: true, release: release)
        t = conv2.backward(t, computeWeightGradients: computeWeightGradients, release: release)!
        t = bn1.backward(t, overwritingGradOutput: true, release: release)
        if computeInputGradient && gx == nil {
            gx = g  // identity shortcut: the output gradient (already read by bn3) is dx's first term
        }
        conv1.backward(t, accumulatingInto: gx, computeWeightGradients: computeWeightGradients,
                       computeInputGradient: computeInputGradient, release: release)
        if release { inputShape = nil }
        return gx
    }

    /// Drops every held activation without a backward.
    public func releaseActivations() {
        for conv in convLayers { conv.releaseActivations() }
        for bn in batchNormLayers { bn.releaseActivations() }
        relu3.releaseActivations()
        inputShape = nil
    }
}
