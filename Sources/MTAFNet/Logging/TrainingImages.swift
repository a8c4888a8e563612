// What the TensorBoard observer draws (ADVENT's `draw_in_tensorboard`), from one image of a
// training batch. Sizes: a batch [N, 3, H, W] (BGR minus IMG_MEAN, spec §7.1); C classes; the
// main logits [1, C, h, w] are upsampled to H×W (bilinear, align_corners, spec §4.7) before the
// argmax and the entropy, as ADVENT draws its interpolated `pred_main`.

import Foundation

/// The input image, colorized prediction and entropy map of one training image.
public enum TrainingImages {
    /// Image `index` of a network-input batch as RGB bytes: IMG_MEAN added back, BGR → RGB,
    /// rounded and clamped to 0…255 (the inverse of spec §7.1's preprocessing).
    ///
    /// - Parameters:
    ///   - batch: [N, 3, H, W].
    ///   - index: 0..<N.
    ///   - meanBGR: IMG_MEAN (B, G, R).
    /// - Returns: An H×W×3 RGB image.
    public static func inputImage(_ batch: Tensor, index: Int = 0, meanBGR: [Float]) -> PixelImage {
        let shape = batch.shape
        precondition(shape.count == 4 && shape[1] == 3 && index < shape[0], "TrainingImages: batch \(shape)")
        precondition(meanBGR.count == 3, "TrainingImages: \(meanBGR.count) means")
        let height = shape[2], width = shape[3], plane = height * width
        var pixels = [UInt8](repeating: 0, count: 3 * plane)
        batch.withUnsafeBufferPointer { input in
            let image = input.baseAddress! + index * 3 * plane
            pixels.withUnsafeMutableBufferPointer { out in
                for bgr in 0 ..< 3 {
                    let rgb = 2 - bgr, mean = meanBGR[bgr], channel = image + bgr * plane
                    for p in 0 ..< plane {
                        out[3 * p + rgb] = UInt8(min(max((channel[p] + mean).rounded(), 0), 255))
                    }
                }
            }
        }
        return PixelImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// The segmenter's eval-mode main prediction for image `index` of a batch, at the input size:
    /// the class map (argmax, first index on ties) and the normalized entropy
    /// Σ_c −p_c·log2(p_c + 1e-30) / log2(C) of the softmax (spec §4.1 summed over classes), in [0, 1].
    /// Eval mode uses the BN running statistics and leaves them untouched (spec §2.7, §8).
    ///
    /// - Parameters:
    ///   - segmenter: The model (DeepLab-v2's layer6, or MTKT's student head).
    ///   - batch: [N, 3, H, W].
    ///   - index: 0..<N.
    /// - Returns: H×W classes and H×W entropies.
    public static func prediction(_ segmenter: Segmenter, batch: Tensor, index: Int = 0)
        -> (classes: LabelImage, entropy: [Float]) {
        let shape = batch.shape
        precondition(shape.count == 4 && shape[1] == 3 && index < shape[0], "TrainingImages: batch \(shape)")
        let height = shape[2], width = shape[3], plane = height * width
        let input = Tensor(shape: [1, 3, height, width])
        batch.withUnsafeBufferPointer { source in
            input.withUnsafeMutableBufferPointer { target in
                target.baseAddress!.update(from: source.baseAddress! + index * 3 * plane, count: 3 * plane)
            }
        }
        let logits = segmenter.evaluationLogits(input)
        let c = logits.shape[1]
        let upsampled = Tensor(shape: [1, c, height, width])
        let probabilities = Tensor(shape: [1, c, height, width])
        var classes = [Int32](repeating: 0, count: plane)
        var entropy = [Float](repeating: 0, count: plane)
        logits.withUnsafeBufferPointer { small in
            upsampled.withUnsafeMutableBufferPointer { large in
                bilinearResizeForward(output: large.baseAddress!, input: small.baseAddress!, batch: 1, channels: c,
                                      inputHeight: logits.shape[2], inputWidth: logits.shape[3],
                                      outputHeight: height, outputWidth: width)
            }
        }
        upsampled.withUnsafeBufferPointer { scores in
            classes.withUnsafeMutableBufferPointer {
                argmaxChannels(predictions: $0.baseAddress!, logits: scores.baseAddress!, batch: 1, channels: c,
                               height: height, width: width)
            }
            probabilities.withUnsafeMutableBufferPointer { p in
                softmaxChannelsForward(output: p.baseAddress!, input: scores.baseAddress!, batch: 1, channels: c,
                                       height: height, width: width)
            }
        }
        let scale = c > 1 ? 1 / log2Classes(c) : 0
        probabilities.withUnsafeBufferPointer { p in
            entropy.withUnsafeMutableBufferPointer { out in
                for k in 0 ..< c {
                    let row = p.baseAddress! + k * plane
                    for i in 0 ..< plane {
                        out[i] -= row[i] * Foundation.log2(row[i] + selfInformationEpsilon)
                    }
                }
                for i in 0 ..< plane { out[i] *= scale }
            }
        }
        return (LabelImage(width: width, height: height, values: classes), entropy)
    }

    /// Values in [0, 1] as an 8-bit gray image (×255, rounded, clamped), H×W×1.
    public static func grayImage(_ values: [Float], width: Int, height: Int) -> PixelImage {
        precondition(values.count == width * height, "TrainingImages.grayImage: \(values.count) for \(width)x\(height)")
        return PixelImage(width: width, height: height, channels: 1,
                          pixels: values.map { UInt8(min(max(($0 * 255).rounded(), 0), 255)) })
    }
}
