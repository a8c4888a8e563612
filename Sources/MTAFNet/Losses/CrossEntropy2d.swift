// 2-D cross-entropy of segmentation logits against integer labels (upstream `cross_entropy_2d`).
//
// Sizes: N = batch, C = classes, H×W = label size, HW = H·W. Logits [N, C, H, W] (already
// upsampled to the label size), labels [N, H, W] (Int32), both contiguous. A pixel is kept iff
// 0 ≤ label < 200; K = number of kept pixels in the whole batch. Per-pixel work runs on blocks
// of up to `softmaxBlock` pixels with stack scratch, in parallel; the loss is summed in Double
// per block, and the block sums in block order (the same for any thread count).

import Foundation

/// Whether a label takes part in the loss (spec §4.2: kept iff 0 ≤ label < 200).
@inline(__always)
func crossEntropyKeeps(_ label: Int32) -> Bool { label >= 0 && label < 200 }

/// 2-D cross-entropy, mean over kept pixels, with its gradient w.r.t. the logits.
///
/// Loss = (1/K)·Σ_kept (log Σ_c exp(x_c) − x_label); gradient of a kept pixel
/// (softmax − one_hot)/K, 0 for an ignored pixel. With no kept pixel the loss is 0 and nothing
/// is accumulated (PyTorch 1.3.1's behaviour, the contract).
///
/// - Parameters:
///   - gradLogits: [N, C, H, W] or nil; when given, `scale·dLoss/dlogits` is accumulated into it.
///   - logits: [N, C, H, W].
///   - labels: [N, H, W]; a kept label must be < C.
///   - scale: factor applied to the accumulated gradient (the loss weight); the returned loss is
///     not scaled.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
/// - Returns: the loss (unscaled).
///
/// Spec §4.2 (upstream `cross_entropy_2d` via `loss_calc`).
public func crossEntropy2dLoss(gradLogits: UnsafeMutablePointer<Float>?,
                               logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
                               scale: Float = 1,
                               batch n: Int, channels c: Int, height h: Int,
                               width w: Int) -> Double {
    let hw = h * w
    var kept = 0
    for i in 0..<(n * hw) where crossEntropyKeeps(labels[i]) {
        precondition(Int(labels[i]) < c,
                     "cross-entropy label \(labels[i]) at pixel \(i) is not below C = \(c)")
        kept += 1
    }
    if kept == 0 { return 0 }
    let gradScale = Float(Double(scale) / Double(kept))
    let blk = softmaxBlock, perImage = pixelBlocksPerImage(hw)
    nonisolated(unsafe) let gradLogits = gradLogits, logits = logits, labels = labels
    let total = parallelSum(chunks: n * perImage, work: 3 * n * c * hw) { blocks, partials in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: (c + 3) * blk) { scratch in
            let maxima = scratch.baseAddress!, sums = maxima + blk, factors = sums + blk
            let exps = factors + blk
            for k in blocks {
                let (img, p0, b) = pixelBlock(k, perImage: perImage, hw: hw)
                let x = logits + img * c * hw + p0
                let lab = labels + img * hw + p0
                channelExpBlock(exps: exps, expStride: blk, maxima: maxima, sums: sums, x: x,
                                hw: hw, channels: c, count: b)
                var block = 0.0
                for j in 0..<b {
                    let l = lab[j]
                    if crossEntropyKeeps(l) {
                        block += Foundation.log(Double(sums[j])) + Double(maxima[j])
                            - Double(x[Int(l) * hw + j])
                        factors[j] = gradScale / sums[j]
                    } else {
                        factors[j] = 0
                    }
                }
                partials[k] = block
                if let grad = gradLogits {
                    let dx = grad + img * c * hw + p0
                    for ch in 0..<c {
                        let ec = exps + ch * blk, dc = dx + ch * hw
                        for j in 0..<b { dc[j] += ec[j] * factors[j] }
                    }
                    for j in 0..<b where crossEntropyKeeps(lab[j]) {
                        dx[Int(lab[j]) * hw + j] -= gradScale
                    }
                }
            }
        }
    }
    return total / Double(kept)
}
