// Scoring a target's validation set (spec §8 steps 1–6). Sizes: C classes, one image at a time
// (TEST.BATCH_SIZE_TARGET = 1), logits [1, C, h, w] upsampled to the label's own H×W.

/// One model of an evaluation (several make an ensemble in single mode, spec §8 step 4).
public struct WeightedSegmenter {
    public let segmenter: Segmenter
    public let weight: Float

    public init(_ segmenter: Segmenter, weight: Float = 1) {
        self.segmenter = segmenter
        self.weight = weight
    }
}

public enum Evaluator {
    /// Accumulates the confusion matrix of `dataset`'s samples at `indices` (file order).
    ///
    /// Each image's main logits are upsampled (bilinear, align_corners) to its label's H×W — for
    /// Cityscapes and IDD that is TEST.OUTPUT_SIZE_TARGET, for Mapillary the label's own size
    /// (spec §7.5, §8 step 3) — summed over the models with their weights, arg-maxed (first
    /// index on ties) and counted against the label (255 skipped).
    ///
    /// - Parameters:
    ///   - models: One or more segmenters with ensemble weights.
    ///   - dataset: A test dataset that reads labels.
    ///   - classCount: C.
    ///   - indices: The samples to score (a rank's share, or all).
    ///   - progress: Called after each image with the number scored so far.
    ///   - prediction: Called with each sample's name (its list entry) and its prediction (H×W class
    ///     indices at the label's size) before it is counted, e.g. to save it as PNG files; an
    ///     error it throws stops the evaluation.
    ///   - outputs: Called with each sample and every model's main logits (before upsampling),
    ///     e.g. to export full-resolution predictions or logits; an error it throws stops the
    ///     evaluation.
    public static func confusion(models: [WeightedSegmenter], dataset: any SegmentationDataset, classCount: Int,
                                 indices: [Int], progress: ((Int) -> Void)? = nil,
                                 prediction: ((_ name: String, _ classes: LabelImage) throws -> Void)? = nil,
                                 outputs: ((_ sample: SegmentationSample, _ mainLogits: [Tensor]) throws -> Void)? = nil)
        throws -> ConfusionMatrix {
        precondition(!models.isEmpty, "Evaluator needs at least one model")
        var matrix = ConfusionMatrix(classCount: classCount)
        for (done, index) in indices.enumerated() {
            let sample = try dataset.sample(index)
            guard let label = sample.label else {
                throw DataError.missingLabels(dataset: dataset.name, entry: sample.name)
            }
            let logits = mainLogits(models: models, input: sample.image.reshaped([1] + sample.image.shape),
                                    classCount: classCount)
            try outputs?(sample, logits)
            let predictions = predict(logits: logits, weights: models.map(\.weight), classCount: classCount,
                                      height: label.height, width: label.width)
            if let prediction {
                try prediction(sample.name, LabelImage(width: label.width, height: label.height, values: predictions))
            }
            label.values.withUnsafeBufferPointer { truth in
                predictions.withUnsafeBufferPointer { matrix.add(labels: truth, predictions: $0) }
            }
            progress?(done + 1)
        }
        return matrix
    }

    /// One image's prediction (spec §8 steps 2–5): each model's main logits in eval mode,
    /// upsampled (bilinear, align_corners) to height × width, summed with the models' weights,
    /// arg-maxed over the classes (first index on ties).
    ///
    /// - Parameters:
    ///   - models: One or more segmenters with ensemble weights.
    ///   - input: [1, 3, H_in, W_in].
    ///   - classCount: C.
    ///   - height, width: The prediction's size (the label's).
    /// - Returns: height · width class indices, row-major.
    public static func predict(models: [WeightedSegmenter], input: Tensor, classCount: Int,
                               height: Int, width: Int) -> [Int32] {
        predict(logits: mainLogits(models: models, input: input, classCount: classCount),
                weights: models.map(\.weight), classCount: classCount, height: height, width: width)
    }

    /// Each model's main logits in eval mode (spec §8 steps 1–2).
    ///
    /// - Parameters:
    ///   - models: One or more segmenters.
    ///   - input: [1, 3, H_in, W_in].
    ///   - classCount: C (checked against the models).
    /// - Returns: One [1, C, h, w] tensor per model.
    public static func mainLogits(models: [WeightedSegmenter], input: Tensor, classCount: Int) -> [Tensor] {
        models.map { model in
            let logits = model.segmenter.evaluationLogits(input)
            precondition(logits.shape[1] == classCount, "model has \(logits.shape[1]) classes, config \(classCount)")
            return logits
        }
    }

    /// The prediction of models' main logits (spec §8 steps 3–5): each upsampled (bilinear,
    /// align_corners) to height × width, summed with the weights, arg-maxed over the classes
    /// (first index on ties).
    ///
    /// - Parameters:
    ///   - logits: One [1, C, h, w] tensor per model.
    ///   - weights: The models' ensemble weights.
    ///   - classCount: C.
    ///   - height, width: The prediction's size.
    /// - Returns: height · width class indices, row-major.
    public static func predict(logits: [Tensor], weights: [Float], classCount: Int, height: Int, width: Int) -> [Int32] {
        precondition(logits.count == weights.count && !logits.isEmpty, "Evaluator.predict: \(logits.count) logits, \(weights.count) weights")
        let upsampled = Tensor(shape: [1, classCount, height, width])
        let resized = Tensor(shape: upsampled.shape)
        for (modelLogits, weight) in zip(logits, weights) {
            modelLogits.withUnsafeBufferPointer { source in
                resized.withUnsafeMutableBufferPointer { target in
                    bilinearResizeForward(output: target.baseAddress!, input: source.baseAddress!, batch: 1,
                                          channels: classCount, inputHeight: modelLogits.shape[2],
                                          inputWidth: modelLogits.shape[3], outputHeight: height, outputWidth: width)
                }
            }
            addScaled(resized, into: upsampled, scale: weight)
        }
        var predictions = [Int32](repeating: 0, count: width * height)
        upsampled.withUnsafeBufferPointer { scores in
            predictions.withUnsafeMutableBufferPointer {
                argmaxChannels(predictions: $0.baseAddress!, logits: scores.baseAddress!, batch: 1,
                               channels: classCount, height: height, width: width)
            }
        }
        return predictions
    }
}

/// `target += scale × source`, elementwise (equal shapes).
private func addScaled(_ source: Tensor, into target: Tensor, scale: Float) {
    target.withUnsafeMutableBufferPointer { t in
        source.withUnsafeBufferPointer { s in
            for i in 0 ..< t.count { t[i] += scale * s[i] }
        }
    }
}
