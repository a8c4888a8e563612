// Argmax over channels for evaluation (spec §4.12, §8 step 5). Sizes: N images, C classes,
// H×W pixels; logits are N×C×H×W, predictions N×H×W.

/// Writes, for every pixel, the first class with the largest logit (first index on ties).
///
/// - Parameters:
///   - predictions: N×H×W class indices (output).
///   - logits: N×C×H×W scores.
/// Spec §4.12 (upstream `np.argmax(output, axis=2)`).
public func argmaxChannels(predictions: UnsafeMutablePointer<Int32>, logits: UnsafePointer<Float>,
                           batch: Int, channels: Int, height: Int, width: Int) {
    let plane = height * width
    for n in 0 ..< batch {
        let image = logits + n * channels * plane
        let out = predictions + n * plane
        // Channel 0 initializes, later channels win only when strictly greater.
        var best = [Float](repeating: 0, count: plane)
        best.withUnsafeMutableBufferPointer { best in
            for p in 0 ..< plane {
                best[p] = image[p]
                out[p] = 0
            }
            for c in 1 ..< max(channels, 1) {
                let row = image + c * plane
                for p in 0 ..< plane where row[p] > best[p] {
                    best[p] = row[p]
                    out[p] = Int32(c)
                }
            }
        }
    }
}
