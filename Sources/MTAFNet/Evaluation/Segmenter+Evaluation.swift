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
