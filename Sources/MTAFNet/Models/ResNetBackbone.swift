// The DeepLab-v2 ResNet backbone: stem (conv1 7×7/2, bn1, ReLU, max-pool 3×3/2 ceil) and four
// stages of bottlenecks (layer1…layer4), output stride 8.
//
// Sizes: N batch, input [N, 3, H, W]; stem output [N, w, H₂, W₂] (H₁ = ⌊(H − 1)/2⌋ + 1, H₂ = the
// max-pool rule on H₁); layer1 [N, 4w, H₂, W₂]; layer2, layer3, layer4 at h×w = ⌊(H₂ − 1)/2⌋ + 1
// with 8w, 16w, 32w channels. Spec §2.5 gives the sizes for the usual inputs.

/// The shared backbone of `DeepLabV2` and `DeepLabV2MTKT` with explicit forward and backward.
/// Spec §2.1–§2.3 (upstream `ResNetMulti` / `ResNetMultiMTKT` minus the classifiers).
public final class ResNetBackbone {
    public let configuration: DeepLabV2Configuration
    public let conv1: Conv2dLayer
    /// bn1 followed by the stem's ReLU (`appliesReLU`).
    public let bn1: BatchNorm2dLayer
    public let maxPool = MaxPoolLayer()
    /// layer1…layer4, each a list of blocks.
    public let stages: [[Bottleneck]]

    /// Registers conv1, bn1, layer1, layer2, layer3, then calls `afterLayer3` (where the MTKT
    /// model registers its aux heads, spec §2.6), then registers layer4.
    ///
    /// - Parameters:
    ///   - configuration: blocks and width.
    ///   - parameters: the trainable store (conv weights).
    ///   - buffers: the frozen store (BatchNorm tensors).
    ///   - stateDict, workspace: the model's.
    ///   - afterLayer3: registration hook between layer3 and layer4.
    public init(_ configuration: DeepLabV2Configuration, parameters: ParameterStore, buffers: ParameterStore,
                stateDict: StateDict, workspace: ConvWorkspace, afterLayer3: () -> Void = {}) {
        self.configuration = configuration
        let w = configuration.width
        conv1 = Conv2dLayer(key: "conv1",
                            geometry: Conv2dGeometry(inChannels: 3, outChannels: w, kernel: 7, stride: 2, padding: 3),
                            hasBias: false, store: parameters, stateDict: stateDict, workspace: workspace)
        bn1 = BatchNorm2dLayer(key: "bn1", channels: w, store: buffers, stateDict: stateDict)
        var inplanes = w
        var stages: [[Bottleneck]] = []
        for s in 0..<4 {
            if s == 3 { afterLayer3() }
            let planes = configuration.planes(stage: s)
            let stride = DeepLabV2Configuration.stageStrides[s]
            let dilation = DeepLabV2Configuration.stageDilations[s]
            var blocks: [Bottleneck] = []
            for b in 0..<configuration.blocks[s] {
                let first = b == 0
                let down = first && (stride != 1 || inplanes != 4 * planes || dilation == 2 || dilation == 4)
                blocks.append(Bottleneck(key: "layer\(s + 1).\(b)", inplanes: inplanes, planes: planes,
                                         stride: first ? stride : 1, dilation: dilation, hasDownsample: down,
                                         parameters: parameters, buffers: buffers, stateDict: stateDict,
                                         workspace: workspace))
                inplanes = 4 * planes
            }
            stages.append(blocks)
        }
        self.stages = stages
    }

    /// Every conv layer in state-dict order (conv1, then each block's conv1, conv2, conv3, downsample.0).
    public var convLayers: [Conv2dLayer] {
        [conv1] + stages.flatMap { $0.flatMap(\.convLayers) }
    }

    /// Every BatchNorm layer in state-dict order (bn1, then each block's bn1, bn2, bn3, downsample.1).
    public var batchNormLayers: [BatchNorm2dLayer] {
        [bn1] + stages.flatMap { $0.flatMap(\.batchNormLayers) }
    }

    /// The backbone's trainable parameters (conv weights) in state-dict order: SGD group 0
    /// before upstream's repeated listing (spec §2.9).
    public var parameterIDs: [ParameterID] { convLayers.map(\.weight) }

    /// Runs the stem and the four stages.
    ///
    /// - Parameters:
    ///   - input: [N, 3, H, W].
    ///   - training: BatchNorm mode.
    ///   - retain: keep what the backward needs.
    /// - Returns: layer3's output [N, 16w, h, w] and layer4's [N, 32w, h, w].
    public func forward(_ input: Tensor, training: Bool, retain: Bool) -> (layer3: Tensor, layer4: Tensor) {
        precondition(input.rank == 4 && input.shape[1] == 3, "ResNetBackbone: input \(input.shape) is not [N, 3, H, W]")
        var x = conv1.forward(input, retain: retain)
        x = bn1.forward(x, training: training, retain: retain, overwritingInput: !retain, appliesReLU: true)
        x = maxPool.forward(x, retain: retain)
        var layer3 = x
        for (s, blocks) in stages.enumerated() {
            for block in blocks { x = block.forward(x, training: training, retain: retain) }
            if s == 2 { layer3 = x }
        }
        return (layer3, x)
    }

    /// Backward of the last retained forward. The heads' input gradients arrive here: the
    /// gradient w.r.t. layer4's output and the one w.r.t. layer3's output (from the aux heads).
    /// Parameters that no gradient reaches receive none.
    ///
    /// - Parameters:
    ///   - gradLayer3: [N, 16w, h, w] or nil; consumed (layer4's input gradient is added to it).
    ///   - gradLayer4: [N, 32w, h, w] or nil; consumed.
    ///   - release: drop the held activations.
    public func backward(gradLayer3: Tensor?, gradLayer4: Tensor?, release: Bool = true) {
        precondition(conv1.hasRetainedForward, "ResNetBackbone: backward without a retained forward")
        var g3 = gradLayer3
        if var g = gradLayer4 {
            for (b, block) in stages[3].enumerated().reversed() {
                if b == 0 {
                    g3 = block.backward(g, accumulatingInto: g3, release: release)
                } else {
                    g = block.backward(g, release: release)!
                }
            }
        } else if release {
            for block in stages[3] { block.releaseActivations() }
        }
        guard var g = g3 else {
            if release { releaseActivations() }
            return
        }
        for s in stride(from: 2, through: 0, by: -1) {
            for block in stages[s].reversed() { g = block.backward(g, release: release)! }
        }
        g = maxPool.backward(g, release: release)
        // conv1's input gradient (w.r.t. the image) is never needed: only its weight gradient.
        let gConv1 = bn1.backward(g, overwritingGradOutput: true, release: release)
        conv1.backward(gConv1, computeWeightGradients: true, computeInputGradient: false, release: release)
    }

    /// Drops every held activation without a backward.
    public func releaseActivations() {
        conv1.releaseActivations()
        bn1.releaseActivations()
        maxPool.releaseActivations()
        for blocks in stages { for block in blocks { block.releaseActivations() } }
    }
}
