// Preprocess: the common image and label preprocessing of spec §7.1. Sizes: an RGB image is
// H×W×3 bytes; the network input is 3×H×W float32 in BGR order minus IMG_MEAN; a label map is H×W.

/// Image normalization and label mapping (spec §7.1).
public enum Preprocess {
    /// IMG_MEAN for (B, G, R), rounded to float32 (spec §7.1).
    public static let imageMeanBGR: [Float] = [104.00698793, 116.66876762, 122.67891434]

    /// Converts an RGB image to the network input: channels reversed (RGB → BGR), IMG_MEAN
    /// subtracted in float32, transposed to 3×H×W.
    ///
    /// - Parameters:
    ///   - image: H×W×3 RGB bytes.
    ///   - meanBGR: The three means for B, G, R.
    /// - Returns: A 3×H×W tensor.
    /// Spec §7.1 (upstream `BaseDataset.preprocess`: `image[:, :, ::-1] - mean`, `transpose((2, 0, 1))`).
    public static func imageTensor(_ image: PixelImage, meanBGR: [Float] = imageMeanBGR) -> Tensor {
        let tensor = Tensor(shape: [3, image.height, image.width])
        tensor.withUnsafeMutableBufferPointer { out in
            writeImage(image, into: out, meanBGR: meanBGR)
        }
        return tensor
    }

    /// Writes the network input of one image into a buffer (one slot of a batch).
    ///
    /// - Parameters:
    ///   - image: H×W×3 RGB bytes.
    ///   - output: 3×H×W floats, overwritten (B plane, G plane, R plane).
    ///   - meanBGR: The three means for B, G, R.
    /// Spec §7.1.
    public static func writeImage(_ image: PixelImage, into output: UnsafeMutableBufferPointer<Float>,
                                  meanBGR: [Float] = imageMeanBGR) {
        precondition(image.channels == 3, "Preprocess.writeImage: \(image.channels) channels, wanted RGB")
        precondition(meanBGR.count == 3, "Preprocess.writeImage: \(meanBGR.count) means, wanted 3")
        let plane = image.width * image.height
        precondition(output.count == 3 * plane, "Preprocess.writeImage: buffer of \(output.count) for 3x\(plane)")
        image.pixels.withUnsafeBufferPointer { rgb in
            for bgr in 0..<3 {
                let source = 2 - bgr
                let mean = meanBGR[bgr]
                let base = bgr * plane
                for i in 0..<plane {
                    output[base + i] = Float(rgb[3 * i + source]) - mean
                }
            }
        }
    }

    /// Maps raw label ids to train ids.
    ///
    /// - Parameters:
    ///   - labels: H×W raw ids (dataset id space).
    ///   - map: The dataset's lookup table.
    /// - Returns: H×W train ids (0…C−1, 255 ignored).
    /// Spec §7.2–§7.6, Appendix B (upstream `map_labels`, `id_to_trainid`).
    public static func trainIDs(_ labels: LabelImage, map: LabelMap) -> LabelImage {
        var result = labels
        map.apply(&result.values)
        return result
    }
}
