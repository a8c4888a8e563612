// Step 1 of Baseline, MDis, MinEnt and SourceOnly (spec §5.1 step 1): the source seg pass,
// λ_SEG_MAIN·CE(M_s, y_s) + λ_SEG_AUX·CE(A_s, y_s), one backward. Optionally keeps the detached
// self-information maps I(A_s), I(M_s) for the discriminator phase (spec §5.1 step 3).
//
// Sizes: source images [N, 3, H, W], labels [N, H, W]; A_s, M_s and their maps [N, C, H, W].

/// What the source step leaves for the rest of the iteration.
struct SourceSegmentationResult {
    /// CE(A_s, y_s), unweighted (`loss_seg_src_aux`); 0 without multi-level.
    var lossAux: Double
    /// CE(M_s, y_s), unweighted (`loss_seg_src_main`).
    var lossMain: Double
    /// I(A_s), detached, when kept and multi-level.
    var auxMap: Tensor?
    /// I(M_s), detached, when kept.
    var mainMap: Tensor?
}

extension TrainingFramework {
    /// Spec §5.1 step 1 on a DeepLab-v2 segmenter.
    ///
    /// - Parameters:
    ///   - batch: the iteration's batch (its source part).
    ///   - keepMaps: keep I(A_s), I(M_s) for the discriminators.
    ///   - scale: the factor of architecture §3.3's scaling rule (1 in one process), or nil when this
    ///     rank skips the CE (forward only, for the BN statistics and the maps; losses 0).
    func sourceSegmentationStep(_ batch: TrainingBatch, keepMaps: Bool,
                                scale: Float? = 1) throws -> SourceSegmentationResult {
        let hp = state.hyperParameters
        let pass = segmenterPass(batch.sourceImages, .source)
        guard let scale else {
            var result = SourceSegmentationResult(lossAux: 0, lossMain: 0, auxMap: nil, mainMap: nil)
            if keepMaps {
                result.auxMap = pass.auxPrediction().map { detachedSelfInformation($0) }
                result.mainMap = detachedSelfInformation(pass.mainPrediction())
            }
            pass.discard()
            return result
        }
        let main = pass.mainPrediction()
        let lossMain = main.crossEntropy(labels: batch.sourceLabels, weight: Float(hp.lambdaSegMain) * scale)
        var lossAux = 0.0
        var result = SourceSegmentationResult(lossAux: 0, lossMain: lossMain, auxMap: nil, mainMap: nil)
        if let aux = pass.auxPrediction() {
            lossAux = aux.crossEntropy(labels: batch.sourceLabels, weight: Float(hp.lambdaSegAux) * scale)
            if keepMaps { result.auxMap = detachedSelfInformation(aux) }
        }
        result.lossAux = lossAux
        if keepMaps { result.mainMap = detachedSelfInformation(main) }
        try backward(pass, isFinal: false)
        return result
    }

    /// I(x) of a prediction as a constant (what a discriminator sees in the discriminator phase).
    func detachedSelfInformation(_ prediction: UpsampledPrediction) -> Tensor {
        let map = SelfInformationMap(prediction)
        map.detach()
        return map.map
    }
}
