// DeepLab-v2 for MTKT (upstream `ResNetMultiMTKT`): the ResNet backbone with 1 + T classifiers per
// level: `aux_classifier_list.k` on layer3 (iff multi-level) and `main_classifier_list.k` on layer4,
// k = 0 the target-agnostic student, k = t + 1 the teacher of target t.
//
// Sizes: N batch, C classes, K = 1 + T heads, input [N, 3, H, W]; every head's logits
// [N, C, h, w], h = `DeepLabV2Configuration.outputSize(H)`.

/// The MTKT segmenter with explicit forward and backward (architecture §2.1). A forward can run a subset
/// of the heads (a distributed MTKT rank runs the student and its own teacher only, architecture §3.5);
/// heads that get no gradient in `backward` receive none, so SGD skips them (spec §4.6, §5.3).
/// Registration order: conv1, bn1, layer1–3, aux_classifier_list, layer4, main_classifier_list
/// (spec §2.6).
public final class DeepLabV2MTKT {
    /// Upstream's model name (TRAIN.MODEL, TEST.MODEL, the fixtures' `model`).
    public static let upstreamName = "DeepLabv2MTKT"

    public let configuration: DeepLabV2Configuration
    /// K = 1 + T.
    public let headCount: Int
    /// Trainable parameters: the backbone's and every head's (one store, summed over the world in
    /// a distributed run, architecture §3.5).
    public let parameters: ParameterStore
    /// Frozen BatchNorm tensors.
    public let buffers: ParameterStore
    /// Every state_dict key in PyTorch's order.
    public let stateDict: StateDict
    public let workspace: ConvWorkspace
    public let backbone: ResNetBackbone
    /// `aux_classifier_list.k`, k = 0…T (empty without multi-level).
    public let auxHeads: [ASPPClassifier]
    /// `main_classifier_list.k`, k = 0…T.
    public let mainHeads: [ASPPClassifier]
    private var lastHeads: [Int] = []

    /// Builds the model with upstream's initialization from `random` (spec §2.8).
    ///
    /// - Parameters:
    ///   - configuration: blocks, width, classes, multi-level.
    ///   - heads: K = 1 + T (at least 2: MTKT asserts T > 1 upstream, but K = 2 is allowed here).
    ///   - random: the stream the weights are drawn from.
    ///   - parameters: the store for the backbone's and the heads' parameters.
    ///   - buffers: the store for the frozen BatchNorm tensors.
    ///   - workspace: convolution scratch.
    public init(_ configuration: DeepLabV2Configuration, heads: Int, random: RandomStream,
                parameters: ParameterStore = ParameterStore(), buffers: ParameterStore = ParameterStore(),
                workspace: ConvWorkspace = ConvWorkspace()) {
        precondition(heads >= 1, "DeepLabV2MTKT: need at least one head")
        self.configuration = configuration
        self.headCount = heads
        self.parameters = parameters
        self.buffers = buffers
        self.workspace = workspace
        let stateDict = StateDict()
        self.stateDict = stateDict
        func makeHeads(_ list: String, _ cin: Int) -> [ASPPClassifier] {
            (0..<heads).map { k in
                ASPPClassifier(key: "\(list).\(k)", geometry: ASPPGeometry(inChannels: cin, classes: configuration.classes),
                               store: parameters, stateDict: stateDict, workspace: workspace)
            }
        }
        var aux: [ASPPClassifier] = []
        backbone = ResNetBackbone(configuration, parameters: parameters, buffers: buffers,
                                  stateDict: stateDict, workspace: workspace) {
            if configuration.multiLevel { aux = makeHeads("aux_classifier_list", configuration.layer3Channels) }
        }
        auxHeads = aux
        mainHeads = makeHeads("main_classifier_list", configuration.layer4Channels)
        initialize(random: random)
    }

    /// Re-draws every weight with upstream's rule and resets the BatchNorm tensors (spec §2.8).
    public func initialize(random: RandomStream) {
        UpstreamInitialization.segmenter(convs: backbone.convLayers, classifiers: auxHeads + mainHeads,
                                         batchNorms: backbone.batchNormLayers, random: random)
    }

    /// SGD group 0's parameters before upstream's listing: the backbone conv weights.
    public var backboneParameterIDs: [ParameterID] { backbone.parameterIDs }

    /// The classifier parameters of the given heads (default all): every aux head's, then every
    /// main head's, each listed once (spec §2.9). Only meaningful for heads in `parameters`.
    public func classifierParameterIDs(heads: [Int]? = nil) -> [ParameterID] {
        let chosen = heads ?? Array(0..<headCount)
        return chosen.flatMap { auxHeads.isEmpty ? [] : auxHeads[$0].parameterIDs }
            + chosen.flatMap { mainHeads[$0].parameterIDs }
    }

    /// The two SGD groups of spec §2.9 for the parameters held in `parameters`.
    public func sgdGroups() -> [SGD.Group] {
        let heads = (0..<headCount).filter { mainHeads[$0].store === parameters }
        return [SGD.Group(parameters: SGD.upstreamBackboneListing(backboneParameterIDs, in: parameters)),
                SGD.Group(parameters: classifierParameterIDs(heads: heads))]
    }

    /// Every BatchNorm layer in state-dict order.
    public var batchNormLayers: [BatchNorm2dLayer] { backbone.batchNormLayers }

    /// Runs the backbone and the chosen heads.
    ///
    /// - Parameters:
    ///   - input: [N, 3, H, W].
    ///   - training: BatchNorm train mode.
    ///   - heads: the head indices to compute (default: all K).
    ///   - retainForBackward: keep the activations for `backward` (default: `training`).
    /// - Returns: K aux logits and K main logits, [N, C, h, w] each, nil where a head was not
    ///   computed (every aux entry is nil without multi-level).
    public func forward(_ input: Tensor, training: Bool, heads: [Int]? = nil,
                        retainForBackward: Bool? = nil) -> (aux: [Tensor?], main: [Tensor?]) {
        let retain = retainForBackward ?? training
        let chosen = heads ?? Array(0..<headCount)
        precondition(chosen.allSatisfy { $0 >= 0 && $0 < headCount }, "DeepLabV2MTKT: heads \(chosen) out of 0..<\(headCount)")
        let (x3, x4) = backbone.forward(input, training: training, retain: retain)
        var aux = [Tensor?](repeating: nil, count: headCount)
        var main = [Tensor?](repeating: nil, count: headCount)
        for k in chosen {
            if !auxHeads.isEmpty { aux[k] = auxHeads[k].forward(x3, retain: retain) }
            main[k] = mainHeads[k].forward(x4, retain: retain)
        }
        lastHeads = retain ? chosen : []
        return (aux, main)
    }

    /// Backward of the last retained forward. Head k's classifiers get a gradient only when
    /// `gradAux[k]` / `gradMain[k]` is given; the backbone gets the sum over the given heads.
    ///
    /// - Parameters:
    ///   - gradAux: K entries (or empty), [N, C, h, w] or nil each (not modified).
    ///   - gradMain: K entries, [N, C, h, w] or nil each (not modified).
    ///   - release: drop the activations afterwards.
    public func backward(gradAux: [Tensor?], gradMain: [Tensor?], release: Bool = true) {
        precondition(gradAux.isEmpty || gradAux.count == headCount, "DeepLabV2MTKT: \(gradAux.count) aux gradients for \(headCount) heads")
        precondition(gradMain.count == headCount, "DeepLabV2MTKT: \(gradMain.count) main gradients for \(headCount) heads")
        var g4: Tensor? = nil
        var g3: Tensor? = nil
        for k in 0..<headCount {
            if let g = gradMain[k] {
                precondition(lastHeads.contains(k), "DeepLabV2MTKT: gradient for head \(k), which the forward did not retain")
                g4 = mainHeads[k].backward(g, accumulatingInto: g4, release: release)
            } else if release {
                mainHeads[k].releaseActivations()
            }
            if !auxHeads.isEmpty {
                if k < gradAux.count, let g = gradAux[k] {
                    precondition(lastHeads.contains(k), "DeepLabV2MTKT: gradient for head \(k), which the forward did not retain")
                    g3 = auxHeads[k].backward(g, accumulatingInto: g3, release: release)
                } else if release {
                    auxHeads[k].releaseActivations()
                }
            } else {
                precondition(k >= gradAux.count || gradAux[k] == nil, "DeepLabV2MTKT: aux gradient without aux heads")
            }
        }
        backbone.backward(gradLayer3: g3, gradLayer4: g4, release: release)
        if release { lastHeads = [] }
    }

    /// Drops every held activation without a backward.
    public func releaseActivations() {
        backbone.releaseActivations()
        for head in auxHeads + mainHeads { head.releaseActivations() }
        lastHeads = []
    }
}
