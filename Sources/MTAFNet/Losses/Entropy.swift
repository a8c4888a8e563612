// ADVENT's MinEnt entropy loss of softmax(logits) (upstream `entropy_loss`).
//
// Sizes: N = batch, C = classes, H×W = spatial size, HW = H·W. Logits [N, C, H, W],
// contiguous. Per-pixel work runs on blocks of up to `softmaxBlock` pixels with stack scratch,
// in parallel; the loss is summed in Double per block, and the block sums in block order (the
// same for any thread count).

import Foundation

/// Entropy loss L = −Σ P ⊙ log2(P + 1e-30)/(N·H·W·log2 C), P = softmax(logits) over channels
/// (the mean over pixels of the normalized Shannon entropy), with its gradient w.r.t. the
/// logits: dL/dP = −(log2(P + 1e-30) + P/((P + 1e-30)·ln 2))/(N·H·W·log2 C), then through
/// the softmax.
///
/// - Parameters:
///   - gradLogits: [N, C, H, W] or nil; when given, `scale·dL/dlogits` is accumulated into it.
///   - logits: [N, C, H, W].
///   - scale: factor applied to the accumulated gradient; the returned loss is not scaled.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
/// - Returns: the loss (unscaled).
///
/// Spec §4.9 (ADVENT `entropy_loss(F.softmax(x))`).
public func entropyLoss(gradLogits: UnsafeMutablePointer<Float>?, logits: UnsafePointer<Float>,
                        scale: Float = 1,
                        batch n: Int, channels c: Int, height h: Int, width w: Int) -> Double {
    let hw = h * w
    precondition(n * hw > 0 && c > 0, "entropy loss of an empty tensor")
    let denominator = Double(n * hw) * Foundation.log2(Double(c))
    let gradScale = Float(Double(scale) / denominator)
    let eps = selfInformationEpsilon
    let ln2 = Float(M_LN2)
    let blk = softmaxBlock, perImage = pixelBlocksPerImage(hw)
    nonisolated(unsafe) let gradLogits = gradLogits, logits = logits
    let total = parallelSum(chunks: n * perImage, work: 3 * n * c * hw) { blocks, partials in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: (2 * c + 3) * blk) { scratch in
            let maxima = scratch.baseAddress!, sums = maxima + blk, dots = sums + blk
            let probs = dots + blk, gp = probs + c * blk
            for k in blocks {
                let (img, p0, b) = pixelBlock(k, perImage: perImage, hw: hw)
                let base = img * c * hw
                let x = logits + base + p0
                channelExpBlock(exps: probs, expStride: blk, maxima: maxima, sums: sums, x: x,
                                hw: hw, channels: c, count: b)
                for j in 0..<b { sums[j] = 1 / sums[j]; dots[j] = 0 }
                var block = 0.0
                for ch in 0..<c {
                    let pc = probs + ch * blk, gc = gp + ch * blk
                    for j in 0..<b {
                        let p = pc[j] * sums[j]
                        pc[j] = p
                        let pe = p + eps
                        let l = Foundation.log2(pe)
                        block -= Double(p * l)
                        let d = -(l + p / (pe * ln2))
                        gc[j] = d
                        dots[j] += d * p
                    }
                }
                partials[k] = block
                if let grad = gradLogits {
                    let dx = grad + base + p0
                    for ch in 0..<c {
                        let pc = probs + ch * blk, gc = gp + ch * blk, dc = dx + ch * hw
                        for j in 0..<b { dc[j] += gradScale * pc[j] * (gc[j] - dots[j]) }
                    }
                }
            }
        }
    }
    return total / denominator
}
