// The fully-convolutional discriminator (upstream `get_fc_discriminator`): five 4×4 convs,
// stride 2, padding 1, with bias; LeakyReLU(0.2) after the first four.
//
// Sizes: N batch, Cin input channels (C classes), ndf base width; channels Cin → ndf → 2ndf →
// 4ndf → 8ndf → 1; each conv maps an extent n to ⌊n/2⌋. Input [N, Cin, H, W], output
// [N, 1, h, w] logits (320×640 → 10×20).

/// The FC discriminator with explicit forward and backward (architecture §2.1). One forward may serve two
/// backward calls (`release: false` on the first): a data-gradient-only one for the generator
/// loss (frozen discriminator) and a weight-gradient one for the discriminator's own loss.
/// State-dict keys `0.weight`, `0.bias`, `2.*`, `4.*`, `6.*`, `8.*`. Spec §3.
public final class FCDiscriminator {
    /// Cin.
    public let inChannels: Int
    /// ndf.
    public let ndf: Int
    /// The store holding the ten parameters (Adam's store).
    public let parameters: ParameterStore
    /// The ten state_dict keys in PyTorch's order.
    public let stateDict: StateDict
    /// The convolutions `0`, `2`, `4`, `6`, `8`.
    public let convs: [Conv2dLayer]
    /// The LeakyReLUs `1`, `3`, `5`, `7`.
    public let activations: [LeakyReLULayer]

    /// Builds the discriminator with PyTorch's default initialization from `random`.
    ///
    /// - Parameters:
    ///   - inChannels: Cin (the number of classes).
    ///   - ndf: base width (64 upstream).
    ///   - random: the stream the weights are drawn from.
    ///   - parameters: the store (new by default; several discriminators may share one when
    ///     `storePrefix` tells their names apart).
    ///   - storePrefix: prepended to the store names (e.g. `d_main.`), not to the state_dict keys.
    ///   - workspace: convolution scratch.
    public init(inChannels: Int, ndf: Int, random: RandomStream,
                parameters: ParameterStore = ParameterStore(), storePrefix: String = "",
                workspace: ConvWorkspace = ConvWorkspace()) {
        precondition(inChannels > 0 && ndf > 0, "FCDiscriminator: channels must be positive")
        self.inChannels = inChannels
        self.ndf = ndf
        self.parameters = parameters
        let stateDict = StateDict()
        self.stateDict = stateDict
        let widths = [inChannels, ndf, 2 * ndf, 4 * ndf, 8 * ndf, 1]
        convs = (0..<5).map { i in
            Conv2dLayer(key: "\(2 * i)",
                        geometry: Conv2dGeometry(inChannels: widths[i], outChannels: widths[i + 1], kernel: 4,
                                                 stride: 2, padding: 1),
                        hasBias: true, store: parameters, storePrefix: storePrefix, stateDict: stateDict,
                        workspace: workspace)
        }
        activations = (0..<4).map { _ in LeakyReLULayer(negativeSlope: 0.2) }
        initialize(random: random)
    }

    /// PyTorch's default Conv2d initialization: weights and biases U(±1/√fan_in),
    /// fan_in = Cin·4·4 (Kaiming-uniform with a = √5). Spec §3.
    public func initialize(random: RandomStream) {
        var r = random
        for conv in convs {
            let bound = 1 / Float(Double(conv.geometry.columnRows).squareRoot())
            UpstreamInitialization.uniform(parameters, conv.weight, bound: bound, random: &r)
            UpstreamInitialization.uniform(parameters, conv.bias!, bound: bound, random: &r)
        }
    }

    /// All ten parameters in state-dict order (Adam's single group).
    public var parameterIDs: [ParameterID] { convs.flatMap { [$0.weight, $0.bias!] } }

    /// The output extent for an input extent (each conv halves, rounding down).
    public static func outputSize(_ inputSize: Int) -> Int {
        var n = inputSize
        for _ in 0..<5 { n /= 2 }
        return n
    }

    /// - Parameters:
    ///   - input: [N, Cin, H, W] (held by reference when retained; do not modify it before the backward).
    ///   - retain: keep what the backward needs.
    /// - Returns: logits [N, 1, h, w].
    public func forward(_ input: Tensor, retain: Bool = true) -> Tensor {
        var x = input
        for i in 0..<5 {
            x = convs[i].forward(x, retain: retain)
            if i < 4 { activations[i].forward(x, retain: retain) }
        }
        return x
    }

    /// Backward of the last retained forward.
    ///
    /// - Parameters:
    ///   - gradOutput: [N, 1, h, w] (not modified).
    ///   - computeWeightGradients: accumulate the parameter gradients (false: frozen discriminator).
    ///   - computeInputGradient: return the gradient w.r.t. the input.
    ///   - release: drop the activations (false keeps them for a second backward).
    /// - Returns: the input gradient [N, Cin, H, W], or nil when not computed.
    @discardableResult
    public func backward(_ gradOutput: Tensor, computeWeightGradients: Bool = true,
                         computeInputGradient: Bool = true, release: Bool = true) -> Tensor? {
        precondition(convs[0].hasRetainedForward, "FCDiscriminator: backward without a retained forward")
        if !computeWeightGradients && !computeInputGradient {
            if release { releaseActivations() }
            return nil
        }
        var g = gradOutput
        for i in stride(from: 4, through: 0, by: -1) {
            let needInput = i > 0 || computeInputGradient
            let next = convs[i].backward(g, computeWeightGradients: computeWeightGradients,
                                         computeInputGradient: needInput, release: release)
            guard let next else { return nil }
            g = next
            if i > 0 { activations[i - 1].backward(g, release: release) }
        }
        return g
    }

    /// Drops every held activation without a backward.
    public func releaseActivations() {
        for conv in convs { conv.releaseActivations() }
        for activation in activations { activation.releaseActivations() }
    }
}
