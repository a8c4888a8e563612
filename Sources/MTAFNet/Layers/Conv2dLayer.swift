// A convolution module: weight (and optional bias) in a `ParameterStore` under their PyTorch
// names, forward and split backward over the `Ops/Conv2d` functions.
//
// Sizes: N batch, Cin→Cout channels, H×W input, Ho×Wo output (`Conv2dGeometry`).
// Input [N, Cin, H, W], output [N, Cout, Ho, Wo], weight [Cout, Cin, KH, KW], bias [Cout].
// What the backward needs from the forward: the input (a reference, never a copy).

/// A 2-D convolution layer with explicit forward and backward (architecture §2.1).
/// Spec §2.1–§2.4, §3 (PyTorch `nn.Conv2d`).
public final class Conv2dLayer {
    /// The module's key prefix, e.g. `layer1.0.conv1` (state_dict keys `<key>.weight`, `<key>.bias`).
    public let key: String
    /// Kernel, stride, padding, dilation, channels.
    public let geometry: Conv2dGeometry
    /// The store holding the weight and bias.
    public let store: ParameterStore
    /// The weight [Cout, Cin, KH, KW].
    public let weight: ParameterID
    /// The bias [Cout], if the convolution has one.
    public let bias: ParameterID?
    let workspace: ConvWorkspace
    private var savedInput: Tensor?

    /// Registers the weight (then the bias) in `store` and in `stateDict`.
    ///
    /// - Parameters:
    ///   - key: the module's state_dict prefix.
    ///   - geometry: the convolution's shape.
    ///   - hasBias: whether it has a bias.
    ///   - store: the trainable parameters' store.
    ///   - storePrefix: prepended to the store names (the state_dict keys do not carry it).
    ///   - stateDict: the model's state dict.
    ///   - workspace: the model's shared scratch.
    public init(key: String, geometry: Conv2dGeometry, hasBias: Bool, store: ParameterStore,
                storePrefix: String = "", stateDict: StateDict, workspace: ConvWorkspace) {
        self.key = key
        self.geometry = geometry
        self.store = store
        self.workspace = workspace
        weight = stateDict.register(
            key: key + ".weight",
            shape: [geometry.outChannels, geometry.inChannels, geometry.kernelH, geometry.kernelW],
            in: store, storePrefix: storePrefix, isTrainable: true)
        bias = hasBias
            ? stateDict.register(key: key + ".bias", shape: [geometry.outChannels], in: store,
                                 storePrefix: storePrefix, isTrainable: true)
            : nil
    }

    /// Whether a forward's input is held for a backward.
    public var hasRetainedForward: Bool { savedInput != nil }

    /// output = conv2d(input, weight) + bias.
    ///
    /// - Parameters:
    ///   - input: [N, Cin, H, W].
    ///   - retain: keep `input` (by reference) for `backward`.
    /// - Returns: [N, Cout, Ho, Wo], a new tensor.
    public func forward(_ input: Tensor, retain: Bool) -> Tensor {
        let (n, h, w) = checkInput(input)
        let output = Tensor(shape: [n, geometry.outChannels, geometry.outputHeight(h), geometry.outputWidth(w)])
        let ids = bias.map { [weight, $0] } ?? [weight]
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                store.withValuePointers(ids) { p in
                    conv2dForward(output: y.baseAddress!, input: x.baseAddress!, weight: p[0],
                                  bias: p.count > 1 ? UnsafePointer(p[1]) : nil, workspace: workspace,
                                  geometry: geometry, batch: n, height: h, width: w)
                }
            }
        }
        savedInput = retain ? input : nil
        return output
    }

    /// Backward of the last retained forward.
    ///
    /// - Parameters:
    ///   - gradOutput: [N, Cout, Ho, Wo] (not modified).
    ///   - gradInput: [N, Cin, H, W] to accumulate the input gradient into, or nil for a new one.
    ///   - computeWeightGradients: accumulate into the weight (and bias) gradients, marking them
    ///     received; false for a frozen module.
    ///   - computeInputGradient: compute the input gradient; false for the first layer.
    ///   - release: drop the retained input afterwards.
    /// - Returns: the input gradient (`gradInput` itself when given), or nil when not computed.
    @discardableResult
    public func backward(_ gradOutput: Tensor, accumulatingInto gradInput: Tensor? = nil,
                         computeWeightGradients: Bool = true, computeInputGradient: Bool = true,
                         release: Bool = true) -> Tensor? {
        precondition(savedInput != nil, "Conv2dLayer \(key): backward without a retained forward")
        let input = savedInput!
        let (n, h, w) = checkInput(input)
        precondition(gradOutput.shape == [n, geometry.outChannels, geometry.outputHeight(h), geometry.outputWidth(w)],
                     "Conv2dLayer \(key): gradOutput \(gradOutput.shape) does not match the forward")
        if computeWeightGradients {
            let ids = bias.map { [weight, $0] } ?? [weight]
            input.withUnsafeBufferPointer { x in
                gradOutput.withUnsafeBufferPointer { gy in
                    store.withGradientPointers(ids) { g in
                        conv2dBackwardWeight(gradWeight: g[0], gradBias: g.count > 1 ? g[1] : nil,
                                             input: x.baseAddress!, gradOutput: gy.baseAddress!,
                                             workspace: workspace, geometry: geometry,
                                             batch: n, height: h, width: w)
                    }
                }
            }
        }
        var result: Tensor? = nil
        if computeInputGradient {
            let gx = gradInput ?? Tensor(shape: input.shape)
            precondition(gx.shape == input.shape, "Conv2dLayer \(key): gradInput \(gx.shape) is not \(input.shape)")
            gx.withUnsafeMutableBufferPointer { dx in
                gradOutput.withUnsafeBufferPointer { gy in
                    store.withValuePointers([weight]) { p in
                        conv2dBackwardData(gradInput: dx.baseAddress!, gradOutput: gy.baseAddress!,
                                           weight: p[0], workspace: workspace, geometry: geometry,
                                           batch: n, height: h, width: w)
                    }
                }
            }
            result = gx
        }
        if release { savedInput = nil }
        return result
    }

    /// Drops the retained input without a backward.
    public func releaseActivations() { savedInput = nil }

    private func checkInput(_ input: Tensor) -> (Int, Int, Int) {
        precondition(input.rank == 4 && input.shape[1] == geometry.inChannels,
                     "Conv2dLayer \(key): input \(input.shape), wanted [N, \(geometry.inChannels), H, W]")
        return (input.shape[0], input.shape[2], input.shape[3])
    }
}
