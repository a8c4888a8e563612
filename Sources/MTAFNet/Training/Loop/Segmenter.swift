// The segmenter a framework trains: DeepLab-v2 (Baseline, MDis, MinEnt, SourceOnly) or its MTKT
// variant with 1 + T heads (MTKT). Sizes: K heads (1 for DeepLab-v2, 1 + T for MTKT), C classes.

/// Either segmenter, with what the training state, the checkpoints and evaluation need from both.
/// Spec §2.5, §2.6, §2.9.
public enum Segmenter {
    /// DeepLab-v2 (upstream `ResNetMulti`): one aux head (iff multi-level) and one main head.
    case deepLabV2(DeepLabV2)
    /// DeepLab-v2 MTKT (upstream `ResNetMultiMTKT`): head 0 the student, head t + 1 teacher t.
    case deepLabV2MTKT(DeepLabV2MTKT)

    /// Blocks, width, classes, multi-level.
    public var configuration: DeepLabV2Configuration {
        switch self {
        case let .deepLabV2(model): model.configuration
        case let .deepLabV2MTKT(model): model.configuration
        }
    }

    /// K: 1 for DeepLab-v2, 1 + T for MTKT.
    public var headCount: Int {
        switch self {
        case .deepLabV2: 1
        case let .deepLabV2MTKT(model): model.headCount
        }
    }

    /// The trainable parameters (SGD's store).
    public var parameters: ParameterStore {
        switch self {
        case let .deepLabV2(model): model.parameters
        case let .deepLabV2MTKT(model): model.parameters
        }
    }

    /// The frozen BatchNorm tensors (weight, bias, running statistics).
    public var buffers: ParameterStore {
        switch self {
        case let .deepLabV2(model): model.buffers
        case let .deepLabV2MTKT(model): model.buffers
        }
    }

    /// Every state_dict key (parameters, BN tensors, num_batches_tracked), for checkpoints.
    public var stateDict: StateDict {
        switch self {
        case let .deepLabV2(model): model.stateDict
        case let .deepLabV2MTKT(model): model.stateDict
        }
    }

    /// Every BatchNorm layer in state-dict order.
    public var batchNormLayers: [BatchNorm2dLayer] {
        switch self {
        case let .deepLabV2(model): model.batchNormLayers
        case let .deepLabV2MTKT(model): model.batchNormLayers
        }
    }

    /// The two SGD groups of spec §2.9 (group 0 with upstream's repeated listing, §4.8).
    public func sgdGroups() -> [SGD.Group] {
        switch self {
        case let .deepLabV2(model): model.sgdGroups()
        case let .deepLabV2MTKT(model): model.sgdGroups()
        }
    }

    /// The upstream model name (TRAIN.MODEL).
    public var modelName: String {
        switch self {
        case .deepLabV2: DeepLabV2.upstreamName
        case .deepLabV2MTKT: DeepLabV2MTKT.upstreamName
        }
    }

    /// Drops every held activation.
    public func releaseActivations() {
        switch self {
        case let .deepLabV2(model): model.releaseActivations()
        case let .deepLabV2MTKT(model): model.releaseActivations()
        }
    }
}

extension Segmenter {
    /// Main-level logits in eval mode (spec §8 steps 1–2): DeepLab-v2's layer6, or MTKT's student
    /// head `main_classifier_list.0`; the aux level is never evaluated.
    ///
    /// - Parameter input: [N, 3, H, W].
    /// - Returns: [N, C, h, w] logits at 1/8 resolution.
    public func evaluationLogits(_ input: Tensor) -> Tensor {
        switch self {
        case let .deepLabV2(model):
            return model.forward(input, training: false, retainForBackward: false).main
        case let .deepLabV2MTKT(model):
            return model.forward(input, training: false, heads: [0], retainForBackward: false).main[0]!
        }
    }
}
