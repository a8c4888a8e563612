// MTKT's teacher loss: KL(teacher ‖ student) over channels, mean over all elements
// (upstream `kl_divergence`, TEACHER_LOSS = KL).
//
// Sizes: N = batch, C = classes, H×W = spatial size, HW = H·W. Student and teacher logits are
// [N, C, H, W], contiguous. Per-pixel work runs on blocks of up to `softmaxBlock` pixels with
// stack scratch, in parallel; per-pixel log-sum-exps and the loss sum are in Double, the loss
// summed per block and the block sums in block order (the same for any thread count).

import Foundation

/// KL teacher loss L = (1/(N·H·W·C))·Σ p_c·(log p_c − log q_c), p = softmax(teacher),
/// q = softmax(student) over channels, terms with p_c = 0 counted as 0; gradient w.r.t. the
/// student (q − p)/(N·H·W·C), none to the (detached) teacher.
///
/// - Parameters:
///   - gradStudent: [N, C, H, W] or nil; when given, `scale·dL/dstudent` is accumulated into it.
///   - student: [N, C, H, W], student logits.
///   - teacher: [N, C, H, W], teacher logits (treated as constants).
///   - scale: factor applied to the accumulated gradient; the returned loss is not scaled.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
/// - Returns: the loss (unscaled).
///
/// Spec §4.4 (upstream `kl_divergence`, PyTorch `KLDivLoss(size_average=True)`).
public func klTeacherLoss(gradStudent: UnsafeMutablePointer<Float>?,
                          student: UnsafePointer<Float>, teacher: UnsafePointer<Float>,
                          scale: Float = 1,
                          batch n: Int, channels c: Int, height h: Int, width w: Int) -> Double {
    let hw = h * w
    let elements = n * c * hw
    precondition(elements > 0, "KL loss of an empty tensor")
    let gradScale = Float(Double(scale) / Double(elements))
    let blk = softmaxBlock, perImage = pixelBlocksPerImage(hw)
    nonisolated(unsafe) let gradStudent = gradStudent, student = student, teacher = teacher
    let total = parallelSum(chunks: n * perImage, work: 4 * n * c * hw) { blocks, partials in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: (2 * c + 4) * blk) { scratch in
            let maxS = scratch.baseAddress!, sumS = maxS + blk, maxT = sumS + blk, sumT = maxT + blk
            let expS = sumT + blk, expT = expS + c * blk
            for k in blocks {
                let (img, p0, b) = pixelBlock(k, perImage: perImage, hw: hw)
                let base = img * c * hw
                let s = student + base + p0, t = teacher + base + p0
                channelExpBlock(exps: expS, expStride: blk, maxima: maxS, sums: sumS, x: s,
                                hw: hw, channels: c, count: b)
                channelExpBlock(exps: expT, expStride: blk, maxima: maxT, sums: sumT, x: t,
                                hw: hw, channels: c, count: b)
                var block = 0.0
                for j in 0..<b {
                    // log p_c − log q_c = (t_c − lse_t) − (s_c − lse_s)
                    let shift = (Double(maxS[j]) + Foundation.log(Double(sumS[j])))
                        - (Double(maxT[j]) + Foundation.log(Double(sumT[j])))
                    let invSumT = 1 / Double(sumT[j])
                    var pixel = 0.0
                    for ch in 0..<c {
                        let p = Double(expT[ch * blk + j]) * invSumT
                        if p > 0 {
                            pixel += p * (Double(t[ch * hw + j]) - Double(s[ch * hw + j]) + shift)
                        }
                    }
                    block += pixel
                }
                partials[k] = block
                if let grad = gradStudent {
                    let dx = grad + base + p0
                    for j in 0..<b {
                        sumS[j] = gradScale / sumS[j]
                        sumT[j] = gradScale / sumT[j]
                    }
                    for ch in 0..<c {
                        let es = expS + ch * blk, et = expT + ch * blk, dc = dx + ch * hw
                        for j in 0..<b { dc[j] += es[j] * sumS[j] - et[j] * sumT[j] }
                    }
                }
            }
        }
    }
    return total / Double(elements)
}
