// Softmax over the channel dimension of an NCHW tensor (dim 1), and its backward.
//
// Sizes: N = batch, C = channels (classes), H×W = spatial size, HW = H·W. Tensors are
// [N, C, H, W], contiguous: the C values of one pixel are HW apart. Work runs on blocks of up
// to `softmaxBlock` pixels of one image: every channel loop is a contiguous inner loop over the
// block; per-pixel maxima and sums live in a small stack buffer (no heap allocation). The blocks
// are the parallel chunks (Runtime/ParallelFor) of these kernels, the losses' included.
// Softmax = exp(x − max)/Σ exp(x − max) (spec §4.12).

import Foundation

/// Pixels per block for the channel-dimension kernels (softmax, self-information, losses).
let softmaxBlock = 64

/// Blocks of one image's H·W pixels (the last one may be shorter).
@inline(__always)
func pixelBlocksPerImage(_ hw: Int) -> Int { (hw + softmaxBlock - 1) / softmaxBlock }

/// Pixel block `k` of a batch, counted image by image: its image, first pixel and length.
@inline(__always)
func pixelBlock(_ k: Int, perImage: Int, hw: Int) -> (image: Int, start: Int, count: Int) {
    let image = k / perImage, start = (k % perImage) * softmaxBlock
    return (image, start, min(softmaxBlock, hw - start))
}

/// For the pixel block `[0, count)` starting at `x` (channel stride `hw`): writes the per-pixel
/// maximum over channels into `maxima` and e_c = exp(x_c − max) into `exps` (row c at
/// `exps + c·count`, or, when `expStride` is given, at `exps + c·expStride`), and Σ_c e_c into
/// `sums`.
@inline(__always)
func channelExpBlock(exps: UnsafeMutablePointer<Float>, expStride: Int,
                     maxima: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>,
                     x: UnsafePointer<Float>, hw: Int, channels c: Int, count b: Int) {
    for j in 0..<b { maxima[j] = x[j] }
    for ch in 1..<max(c, 1) {
        let xc = x + ch * hw
        for j in 0..<b { maxima[j] = Swift.max(maxima[j], xc[j]) }
    }
    for j in 0..<b { sums[j] = 0 }
    for ch in 0..<c {
        let xc = x + ch * hw, ec = exps + ch * expStride
        for j in 0..<b {
            let e = Foundation.exp(xc[j] - maxima[j])
            ec[j] = e
            sums[j] += e
        }
    }
}

/// Softmax over channels, forward.
///
/// - Parameters:
///   - output: [N, C, H, W], written: P = softmax(input) over C.
///   - input: [N, C, H, W], logits.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///
/// Spec §4.1, §4.12 (PyTorch `F.softmax(x, dim=1)`).
public func softmaxChannelsForward(output: UnsafeMutablePointer<Float>,
                                   input: UnsafePointer<Float>,
                                   batch n: Int, channels c: Int, height h: Int, width w: Int) {
    let hw = h * w, perImage = pixelBlocksPerImage(hw)
    nonisolated(unsafe) let output = output, input = input
    parallelFor(chunks: n * perImage, work: 3 * n * c * hw) { blocks in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * softmaxBlock) { scratch in
            let maxima = scratch.baseAddress!, sums = maxima + softmaxBlock
            for k in blocks {
                let (img, p0, b) = pixelBlock(k, perImage: perImage, hw: hw)
                let x = input + img * c * hw + p0, y = output + img * c * hw + p0
                channelExpBlock(exps: y, expStride: hw, maxima: maxima, sums: sums, x: x,
                                hw: hw, channels: c, count: b)
                for j in 0..<b { sums[j] = 1 / sums[j] }
                for ch in 0..<c {
                    let yc = y + ch * hw
                    for j in 0..<b { yc[j] *= sums[j] }
                }
            }
        }
    }
}

/// Softmax over channels, data gradient: `gradInput += P ⊙ (dP − Σ_c dP·P)` per pixel.
///
/// - Parameters:
///   - gradInput: [N, C, H, W], accumulated into (gradient w.r.t. the logits).
///   - gradOutput: [N, C, H, W], gradient w.r.t. P.
///   - output: [N, C, H, W], P from `softmaxChannelsForward`.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///
/// Spec §4.1 (PyTorch `_softmax_backward_data`, dim 1).
public func softmaxChannelsBackwardData(gradInput: UnsafeMutablePointer<Float>,
                                        gradOutput: UnsafePointer<Float>,
                                        output: UnsafePointer<Float>,
                                        batch n: Int, channels c: Int, height h: Int,
                                        width w: Int) {
    let hw = h * w, perImage = pixelBlocksPerImage(hw)
    nonisolated(unsafe) let gradInput = gradInput, gradOutput = gradOutput, output = output
    parallelFor(chunks: n * perImage, work: 4 * n * c * hw) { blocks in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: softmaxBlock) { scratch in
            let dots = scratch.baseAddress!
            for k in blocks {
                let (img, p0, b) = pixelBlock(k, perImage: perImage, hw: hw)
                let base = img * c * hw + p0
                let g = gradOutput + base, y = output + base, dx = gradInput + base
                for j in 0..<b { dots[j] = 0 }
                for ch in 0..<c {
                    let gc = g + ch * hw, yc = y + ch * hw
                    for j in 0..<b { dots[j] += gc[j] * yc[j] }
                }
                for ch in 0..<c {
                    let gc = g + ch * hw, yc = y + ch * hw, dc = dx + ch * hw
                    for j in 0..<b { dc[j] += yc[j] * (gc[j] - dots[j]) }
                }
            }
        }
    }
}
