// DeepLab-v2 (upstream `ResNetMulti`): the ResNet backbone, `layer5` (aux classifier on layer3,
// present iff multi-level) and `layer6` (main classifier on layer4).
//
// Sizes: N batch, C classes, input [N, 3, H, W]; both logits [N, C, h, w] with
// h = `DeepLabV2Configuration.outputSize(H)` (1/8 resolution, spec §2.5).

/// The DeepLab-v2 segmenter with explicit forward and backward (architecture §2.1).
///
/// Trainable parameters (conv weights, classifier weights and biases) live in `parameters`, the
/// frozen BatchNorm tensors in `buffers`; `stateDict` lists all 640 (ResNet-101) PyTorch keys in
/// registration order conv1, bn1, layer1…layer4, layer5, layer6. Spec §2.1–§2.10.
public final class DeepLabV2 {
    /// Upstream's model name (TRAIN.MODEL, TEST.MODEL, the fixtures' `model`).
    public static let upstreamName = "DeepLabv2"

    public let configuration: DeepLabV2Configuration
    /// Trainable parameters (SGD's store).
    public let parameters: ParameterStore
    /// Frozen BatchNorm weight, bias, running_mean, running_var.
    public let buffers: ParameterStore
    /// Every state_dict key in PyTorch's order.
    public let stateDict: StateDict
    public let workspace: ConvWorkspace
    public let backbone: ResNetBackbone
    /// The aux classifier (on layer3), iff multi-level.
    public let layer5: ASPPClassifier?
    /// The main classifier (on layer4).
    public let layer6: ASPPClassifier

    /// Builds the model with upstream's initialization from `random` (spec §2.8).
    ///
    /// - Parameters:
    ///   - configuration: blocks, width, classes, multi-level.
    ///   - random: the stream the weights are drawn from.
    ///   - parameters: the store for the trainable parameters (new by default).
    ///   - buffers: the store for the frozen BatchNorm tensors (new by default).
    ///   - workspace: convolution scratch (new by default).
    public init(_ configuration: DeepLabV2Configuration, random: RandomStream,
                parameters: ParameterStore = ParameterStore(), buffers: ParameterStore = ParameterStore(),
                workspace: ConvWorkspace = ConvWorkspace()) {
        self.configuration = configuration
        self.parameters = parameters
        self.buffers = buffers
        self.workspace = workspace
        let stateDict = StateDict()
        self.stateDict = stateDict
        backbone = ResNetBackbone(configuration, parameters: parameters, buffers: buffers,
                                  stateDict: stateDict, workspace: workspace)
        func head(_ key: String, _ cin: Int) -> ASPPClassifier {
            ASPPClassifier(key: key, geometry: ASPPGeometry(inChannels: cin, classes: configuration.classes),
                           store: parameters, stateDict: stateDict, workspace: workspace)
        }
        layer5 = configuration.multiLevel ? head("layer5", configuration.layer3Channels) : nil
        layer6 = head("layer6", configuration.layer4Channels)
        initialize(random: random)
    }

    /// Re-draws every weight with upstream's rule and resets the BatchNorm tensors (spec §2.8).
    public func initialize(random: RandomStream) {
        UpstreamInitialization.segmenter(convs: backbone.convLayers, classifiers: classifiers,
                                         batchNorms: backbone.batchNormLayers, random: random)
    }

    /// layer5 (if present), then layer6.
    public var classifiers: [ASPPClassifier] { (layer5.map { [$0] } ?? []) + [layer6] }

    /// SGD group 0's parameters before upstream's listing: the backbone conv weights.
    public var backboneParameterIDs: [ParameterID] { backbone.parameterIDs }

    /// SGD group 1: every classifier weight and bias, layer5 then layer6 (spec §2.9).
    public var classifierParameterIDs: [ParameterID] { classifiers.flatMap(\.parameterIDs) }

    /// The two SGD groups of spec §2.9: group 0 = upstream's repeated backbone listing
    /// (spec §4.8, `SGD.upstreamBackboneListing`), group 1 = the classifiers, listed once.
    public func sgdGroups() -> [SGD.Group] {
        [SGD.Group(parameters: SGD.upstreamBackboneListing(backboneParameterIDs, in: parameters)),
         SGD.Group(parameters: classifierParameterIDs)]
    }

    /// Every BatchNorm layer in state-dict order.
    public var batchNormLayers: [BatchNorm2dLayer] { backbone.batchNormLayers }

    /// Runs the segmenter.
    ///
    /// - Parameters:
    ///   - input: [N, 3, H, W].
    ///   - training: BatchNorm train mode (batch statistics, running-statistics update).
    ///   - retainForBackward: keep the activations for `backward` (default: `training`).
    /// - Returns: aux logits (nil without multi-level) and main logits, each [N, C, h, w].
    public func forward(_ input: Tensor, training: Bool,
                        retainForBackward: Bool? = nil) -> (aux: Tensor?, main: Tensor) {
        let retain = retainForBackward ?? training
        let (x3, x4) = backbone.forward(input, training: training, retain: retain)
        let aux = layer5?.forward(x3, retain: retain)
        let main = layer6.forward(x4, retain: retain)
        return (aux, main)
    }

    /// Backward of the last retained forward: accumulates every reached parameter's gradient
    /// into `parameters` (conv1 skips its input gradient). A nil gradient contributes nothing.
    ///
    /// - Parameters:
    ///   - gradAux: [N, C, h, w] or nil (not modified).
    ///   - gradMain: [N, C, h, w] or nil (not modified).
    ///   - release: drop the activations afterwards.
    public func backward(gradAux: Tensor?, gradMain: Tensor?, release: Bool = true) {
        precondition(gradAux == nil || layer5 != nil, "DeepLabV2: gradAux given to a model without layer5")
        let g4 = gradMain.map { layer6.backward($0, release: release)! }
        if gradMain == nil && release { layer6.releaseActivations() }
        var g3: Tensor? = nil
        if let gradAux, let layer5 { g3 = layer5.backward(gradAux, release: release) }
        if gradAux == nil && release { layer5?.releaseActivations() }
        backbone.backward(gradLayer3: g3, gradLayer4: g4, release: release)
    }

    /// Drops every held activation without a backward.
    public func releaseActivations() {
        backbone.releaseActivations()
        for head in classifiers { head.releaseActivations() }
    }
}
