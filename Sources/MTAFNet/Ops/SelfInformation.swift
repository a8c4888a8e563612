// Weighted self-information map of softmax(logits) (upstream `prob_2_entropy`), and its
// gradient back to the logits.
//
// Sizes: N = batch, C = channels (classes), H×W = spatial size, HW = H·W. Tensors are
// [N, C, H, W], contiguous. I = −P ⊙ log2(P + 1e-30)/log2(C) with P = softmax over C; C maps,
// not summed. log2(C) is computed in Double and used as Float (upstream divides a float32
// tensor by a Python float). Parallel chunks: the softmax's pixel blocks, and runs of elements
// for the elementwise map.

import Foundation

/// The constant 1e-30 added inside log2 (spec §4.1, §4.9).
let selfInformationEpsilon: Float = 1e-30

/// Elements per parallel chunk of the elementwise map.
private let selfInformationChunk = 1 << 12

/// log2(C) as the Float divisor of spec §4.1.
@inline(__always)
func log2Classes(_ c: Int) -> Float { Float(Foundation.log2(Double(c))) }

/// Weighted self-information forward: P = softmax(logits) over C, I = −P·log2(P + 1e-30)/log2(C).
///
/// - Parameters:
///   - output: [N, C, H, W], written: I.
///   - probabilities: [N, C, H, W], written: P (kept for the backward).
///   - logits: [N, C, H, W].
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///
/// Spec §4.1 (upstream `prob_2_entropy(F.softmax(x))`).
public func selfInformationForward(output: UnsafeMutablePointer<Float>,
                                   probabilities: UnsafeMutablePointer<Float>,
                                   logits: UnsafePointer<Float>,
                                   batch n: Int, channels c: Int, height h: Int, width w: Int) {
    softmaxChannelsForward(output: probabilities, input: logits,
                           batch: n, channels: c, height: h, width: w)
    let l2c = log2Classes(c)
    let eps = selfInformationEpsilon
    let count = n * c * h * w, chunk = selfInformationChunk
    nonisolated(unsafe) let output = output, probabilities = probabilities
    parallelFor(chunks: (count + chunk - 1) / chunk, work: 2 * count) { chunks in
        for i in (chunks.lowerBound * chunk)..<min(chunks.upperBound * chunk, count) {
            let p = probabilities[i]
            output[i] = -(p * Foundation.log2(p + eps)) / l2c
        }
    }
}

/// Weighted self-information data gradient, w.r.t. the LOGITS:
/// dP = dI·(−(log2(P + 1e-30) + P/((P + 1e-30)·ln 2))/log2(C)), then through the softmax:
/// `gradLogits += P ⊙ (dP − Σ_c dP·P)`.
///
/// - Parameters:
///   - gradLogits: [N, C, H, W], accumulated into.
///   - gradOutput: [N, C, H, W], gradient w.r.t. I.
///   - probabilities: [N, C, H, W], P from `selfInformationForward`.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///
/// Spec §4.1 (autograd of upstream `prob_2_entropy(F.softmax(x))`).
public func selfInformationBackwardData(gradLogits: UnsafeMutablePointer<Float>,
                                        gradOutput: UnsafePointer<Float>,
                                        probabilities: UnsafePointer<Float>,
                                        batch n: Int, channels c: Int, height h: Int,
                                        width w: Int) {
    let hw = h * w, perImage = pixelBlocksPerImage(hw)
    let l2c = log2Classes(c)
    let eps = selfInformationEpsilon
    let ln2 = Float(M_LN2)
    nonisolated(unsafe) let gradLogits = gradLogits, gradOutput = gradOutput, probabilities = probabilities
    parallelFor(chunks: n * perImage, work: 4 * n * c * hw) { blocks in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: (c + 1) * softmaxBlock) { scratch in
            let dots = scratch.baseAddress!, gp = dots + softmaxBlock
            for k in blocks {
                let (img, p0, b) = pixelBlock(k, perImage: perImage, hw: hw)
                let base = img * c * hw + p0
                let g = gradOutput + base, y = probabilities + base, dx = gradLogits + base
                for j in 0..<b { dots[j] = 0 }
                for ch in 0..<c {
                    let gc = g + ch * hw, yc = y + ch * hw, gpc = gp + ch * softmaxBlock
                    for j in 0..<b {
                        let p = yc[j]
                        let pe = p + eps
                        let d = gc[j] * (-(Foundation.log2(pe) + p / (pe * ln2)) / l2c)
                        gpc[j] = d
                        dots[j] += d * p
                    }
                }
                for ch in 0..<c {
                    let gpc = gp + ch * softmaxBlock, yc = y + ch * hw, dc = dx + ch * hw
                    for j in 0..<b { dc[j] += yc[j] * (gpc[j] - dots[j]) }
                }
            }
        }
    }
}
