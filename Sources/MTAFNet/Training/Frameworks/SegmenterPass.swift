// "Seg pass on a batch" (spec §5): a train-mode segmenter forward, then both levels of every
// computed head upsampled to the batch's input size; after the pass's losses, one backward
// through the resizes into the segmenter (gradients accumulate, spec §5).
//
// Sizes: N batch, C classes, K heads (1 for DeepLab-v2, 1 + T for MTKT), input [N, 3, H, W];
// each head's logits [N, C, h, w] (h = H/8, spec §2.5) and their upsampled maps [N, C, H, W].

/// One segmenter forward with its upsampled predictions, kept until `backward`. The model keeps
/// its own activations (architecture §2.2); they are released by `backward`.
/// Spec §5 ("seg pass"), §4.7, §2.7 (train-mode BN).
final class SegmenterPass {
    /// Which batch (orders the BN running-statistics updates, spec §2.7).
    let kind: SegmenterPassKind
    /// up(aux_k) per head k (index 0 for DeepLab-v2); nil where not computed or no multi-level.
    private(set) var aux: [UpsampledPrediction?]
    /// up(main_k) per head k.
    private(set) var main: [UpsampledPrediction?]
    private let segmenter: Segmenter
    private var pendingBackward = true

    /// Runs the segmenter in train mode on `images` and upsamples the chosen heads' logits to
    /// the input size.
    ///
    /// - Parameters:
    ///   - segmenter: the model.
    ///   - images: [N, 3, H, W].
    ///   - kind: source or target t.
    ///   - heads: MTKT heads to compute (default all); ignored for DeepLab-v2.
    ///   - statistics: told about the forward (BN running statistics, spec §2.7).
    init(_ segmenter: Segmenter, images: Tensor, kind: SegmenterPassKind, heads: [Int]? = nil,
         statistics: any BatchNormStatisticsSynchronizer) {
        self.segmenter = segmenter
        self.kind = kind
        let height = images.shape[2], width = images.shape[3]
        switch segmenter {
        case let .deepLabV2(model):
            let out = model.forward(images, training: true, retainForBackward: true)
            aux = [out.aux.map { UpsampledPrediction($0, height: height, width: width) }]
            main = [UpsampledPrediction(out.main, height: height, width: width)]
        case let .deepLabV2MTKT(model):
            let out = model.forward(images, training: true, heads: heads, retainForBackward: true)
            aux = out.aux.map { $0.map { UpsampledPrediction($0, height: height, width: width) } }
            main = out.main.map { $0.map { UpsampledPrediction($0, height: height, width: width) } }
        }
        statistics.forwardDidRun(kind, layers: segmenter.batchNormLayers)
    }

    /// up(aux) of head `k`; the framework asks only for heads it computed (multi-level aside).
    func auxPrediction(head k: Int = 0) -> UpsampledPrediction? { aux[k] }

    /// up(main) of head `k`.
    func mainPrediction(head k: Int = 0) -> UpsampledPrediction {
        guard let prediction = main[k] else { preconditionFailure("SegmenterPass: head \(k) was not computed") }
        return prediction
    }

    /// Ends the pass without a backward (no loss of this rank reached it, architecture §3.3): drops the
    /// predictions and the model's activations.
    func discard() {
        precondition(pendingBackward, "SegmenterPass: discard after backward")
        pendingBackward = false
        aux = aux.map { _ in nil }
        main = main.map { _ in nil }
        segmenter.releaseActivations()
    }

    /// The pass's one backward: each prediction's accumulated gradient through its resize, then
    /// through the segmenter; heads whose predictions got no gradient get none (spec §4.6 step 1,
    /// §5.3 warm-up). Drops the upsampled predictions and the model's activations.
    func backward() {
        precondition(pendingBackward, "SegmenterPass: backward twice")
        pendingBackward = false
        let gradAux = aux.map { $0?.takeLowResolutionGradient() }
        let gradMain = main.map { $0?.takeLowResolutionGradient() }
        aux = aux.map { _ in nil }
        main = main.map { _ in nil }
        switch segmenter {
        case let .deepLabV2(model):
            model.backward(gradAux: gradAux[0], gradMain: gradMain[0], release: true)
        case let .deepLabV2MTKT(model):
            model.backward(gradAux: model.auxHeads.isEmpty ? [] : gradAux, gradMain: gradMain, release: true)
        }
    }
}
