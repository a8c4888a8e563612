// One head's logits upsampled to the batch's input size (spec §4.7), with the gradient the
// losses accumulate into and the resize backward to the low-resolution logits.
//
// Sizes: N batch, C classes, h×w the logits' size (1/8 of the input, spec §2.5), H×W the input
// size. `logits` [N, C, H, W]; `gradient` [N, C, H, W]; the low-resolution gradient [N, C, h, w].

/// up(x): a prediction at the input resolution and dLoss/d up(x). The low-resolution logits
/// are not kept (the resize backward needs only their size). Spec §4.7 (upstream `interp`,
/// `nn.Upsample(mode="bilinear", align_corners=True)`).
final class UpsampledPrediction {
    /// up(x), [N, C, H, W].
    let logits: Tensor
    /// [N, C, h, w] of the logits before upsampling.
    let lowResolutionShape: [Int]
    /// dLoss/d up(x), [N, C, H, W], allocated at the first loss that contributes.
    private(set) var gradient: Tensor?

    /// Upsamples `lowResolution` ([N, C, h, w]) to `height`×`width`.
    init(_ lowResolution: Tensor, height: Int, width: Int) {
        precondition(lowResolution.rank == 4, "UpsampledPrediction: logits \(lowResolution.shape) are not [N, C, h, w]")
        let s = lowResolution.shape
        lowResolutionShape = s
        logits = Tensor(shape: [s[0], s[1], height, width])
        lowResolution.withUnsafeBufferPointer { x in
            logits.withUnsafeMutableBufferPointer { y in
                bilinearResizeForward(output: y.baseAddress!, input: x.baseAddress!, batch: s[0], channels: s[1],
                                      inputHeight: s[2], inputWidth: s[3], outputHeight: height, outputWidth: width)
            }
        }
    }

    /// N, C, H, W of `logits`.
    var dimensions: (n: Int, c: Int, h: Int, w: Int) {
        (logits.shape[0], logits.shape[1], logits.shape[2], logits.shape[3])
    }

    /// The gradient buffer, created zeroed on first use; losses accumulate (`+=`) into it.
    func gradientBuffer() -> Tensor {
        if let gradient { return gradient }
        let buffer = Tensor(shape: logits.shape)
        gradient = buffer
        return buffer
    }

    /// The resize backward of the accumulated gradient: [N, C, h, w], or nil when no loss
    /// reached this prediction (its head then gets no gradient, spec §4.6 step 1). Drops the
    /// full-resolution gradient.
    func takeLowResolutionGradient() -> Tensor? {
        guard let gradient else { return nil }
        let s = lowResolutionShape
        let (_, _, h, w) = dimensions
        let low = Tensor(shape: s)
        gradient.withUnsafeBufferPointer { g in
            low.withUnsafeMutableBufferPointer { d in
                bilinearResizeBackwardData(gradInput: d.baseAddress!, gradOutput: g.baseAddress!, batch: s[0],
                                           channels: s[1], inputHeight: s[2], inputWidth: s[3],
                                           outputHeight: h, outputWidth: w)
            }
        }
        self.gradient = nil
        return low
    }

    // MARK: Losses on up(x)

    /// CE(up(x), labels) (spec §4.2); accumulates `weight`·dCE into the gradient.
    ///
    /// - Parameters:
    ///   - labels: N·H·W train ids, row-major [N, H, W].
    ///   - weight: the loss weight (λ_SEG_*).
    /// - Returns: the unweighted loss.
    func crossEntropy(labels: [Int32], weight: Float) -> Double {
        let (n, c, h, w) = dimensions
        precondition(labels.count == n * h * w, "cross-entropy: \(labels.count) labels for [\(n), \(h), \(w)]")
        let grad = gradientBuffer()
        return logits.withUnsafeBufferPointer { x in
            grad.withUnsafeMutableBufferPointer { g in
                labels.withUnsafeBufferPointer { y in
                    crossEntropy2dLoss(gradLogits: g.baseAddress!, logits: x.baseAddress!, labels: y.baseAddress!,
                                       scale: weight, batch: n, channels: c, height: h, width: w)
                }
            }
        }
    }

    /// E(softmax(up(x))) (spec §4.9); accumulates `weight`·dE into the gradient.
    ///
    /// - Parameter weight: λ_ENT_*.
    /// - Returns: the unweighted loss.
    func entropy(weight: Float) -> Double {
        let (n, c, h, w) = dimensions
        let grad = gradientBuffer()
        return logits.withUnsafeBufferPointer { x in
            grad.withUnsafeMutableBufferPointer { g in
                entropyLoss(gradLogits: g.baseAddress!, logits: x.baseAddress!, scale: weight,
                            batch: n, channels: c, height: h, width: w)
            }
        }
    }

    /// KL(teacher ‖ self) with this prediction as the student and `teacher` detached
    /// (spec §4.4); accumulates `weight`·dKL/d(student) into this gradient only.
    ///
    /// - Parameters:
    ///   - teacher: the teacher's up(x), same shape.
    ///   - weight: the term's weight.
    /// - Returns: the unweighted loss.
    func klDivergence(fromTeacher teacher: UpsampledPrediction, weight: Float) -> Double {
        let (n, c, h, w) = dimensions
        precondition(teacher.logits.shape == logits.shape, "KL: teacher \(teacher.logits.shape) vs student \(logits.shape)")
        let grad = gradientBuffer()
        return logits.withUnsafeBufferPointer { s in
            teacher.logits.withUnsafeBufferPointer { t in
                grad.withUnsafeMutableBufferPointer { g in
                    klTeacherLoss(gradStudent: g.baseAddress!, student: s.baseAddress!, teacher: t.baseAddress!,
                                  scale: weight, batch: n, channels: c, height: h, width: w)
                }
            }
        }
    }
}
