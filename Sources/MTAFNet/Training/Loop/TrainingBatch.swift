// The inputs of one iteration (spec §5): a labelled source batch and one batch per target.
// Sizes: N_s source images [N_s, 3, H_s, W_s] with labels [N_s, H_s, W_s] (train ids, Int32);
// target t: [N_t, 3, H_t, W_t] (no labels: the target loaders' labels are unused, spec §10).
// Predictions are upsampled to each batch's own input size (spec §4.7).

/// One iteration's data. Spec §5 ("Source batch (x_s, y_s)", "each target t (its own loader)").
public struct TrainingBatch {
    /// The source images, [N_s, 3, H_s, W_s] (preprocessed, spec §7.1).
    public var sourceImages: Tensor
    /// The source labels, N_s·H_s·W_s train ids, row-major [N_s, H_s, W_s].
    public var sourceLabels: [Int32]
    /// One image batch per target in TARGETS order, [N_t, 3, H_t, W_t] each; in a distributed
    /// run a target this rank does not host holds an empty placeholder of shape [0].
    public var targetImages: [Tensor]

    public init(sourceImages: Tensor, sourceLabels: [Int32], targetImages: [Tensor]) {
        self.sourceImages = sourceImages
        self.sourceLabels = sourceLabels
        self.targetImages = targetImages
    }

    /// Checks the shapes against T targets (SourceOnly reads no target batch).
    ///
    /// - Parameters:
    ///   - targetCount: the number of target batches needed (0 for SourceOnly).
    ///   - hosted: the targets whose batches must be real (default: all).
    /// - Throws: `TrainingError.badBatch` naming the tensor.
    public func validate(targetCount: Int, hosted: [Int]? = nil) throws(TrainingError) {
        let s = sourceImages.shape
        guard s.count == 4, s[0] >= 1, s[1] == 3, s[2] >= 1, s[3] >= 1 else {
            throw .badBatch(tensor: "source.image", reason: "shape \(s), wanted [N, 3, H, W]")
        }
        guard sourceLabels.count == s[0] * s[2] * s[3] else {
            throw .badBatch(tensor: "source.label",
                            reason: "\(sourceLabels.count) labels, wanted N·H·W = \(s[0] * s[2] * s[3]) for \(s)")
        }
        guard targetImages.count >= targetCount else {
            throw .badBatch(tensor: "target\(targetImages.count).image",
                            reason: "\(targetImages.count) target batches for \(targetCount) targets")
        }
        for (t, image) in targetImages.prefix(targetCount).enumerated() where hosted?.contains(t) ?? true {
            let shape = image.shape
            guard shape.count == 4, shape[0] >= 1, shape[1] == 3, shape[2] >= 1, shape[3] >= 1 else {
                throw .badBatch(tensor: "target\(t).image", reason: "shape \(shape), wanted [N, 3, H, W]")
            }
        }
    }
}
