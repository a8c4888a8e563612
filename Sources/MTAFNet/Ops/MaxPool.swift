// 2-D max-pooling (the stem's 3×3, stride 2, padding 1, ceil mode), PyTorch semantics.
//
// Sizes: N = batch, C = channels, H×W = input size, OH×OW = output size from
// `maxPoolOutputSize`. Input [N, C, H, W], output and argmax [N, C, OH, OW], all contiguous.
// The argmax buffer stores, per output element, the flat index h·W + w of the winning input
// element inside its own (n, c) plane (PyTorch's `indices`), as Int32.
//
// Window rules (spec §2.1): a window starts at o·stride − padding and is clipped to the valid
// rows/columns (padding never wins); the maximum is searched in row-major order with
// "strictly greater, or NaN", so on ties the first element wins, and a NaN always wins (a later
// NaN replaces an earlier one, as in PyTorch's CPU kernel).
//
// Parallel chunks (Runtime/ParallelFor): one output row of one plane in the forward, one plane in
// the backward (overlapping windows scatter into shared input elements in a fixed order).

/// Output length of a max-pool along one axis (PyTorch `pooling_output_shape`, dilation 1).
///
/// - Parameters:
///   - inputSize: n, the input length.
///   - kernel: window length (3).
///   - stride: step (2).
///   - padding: implicit padding on both sides (1).
///   - ceilMode: true for the stem: ceil instead of floor, but no window may start in the
///     right/bottom padding.
/// - Returns: the output length o.
///
/// Spec §2.1 (PyTorch `nn.MaxPool2d(3, 2, 1, ceil_mode=True)`).
public func maxPoolOutputSize(inputSize n: Int, kernel k: Int, stride s: Int, padding p: Int,
                              ceilMode: Bool) -> Int {
    precondition(k > 0 && s > 0 && p >= 0 && 2 * p <= k, "invalid max-pool geometry")
    let span = n + 2 * p - k + (ceilMode ? s - 1 : 0)
    precondition(span >= 0, "max-pool input \(n) smaller than the kernel \(k)")
    var o = span / s + 1
    if ceilMode && (o - 1) * s >= n + p { o -= 1 }
    return o
}

/// Max-pool forward; records the argmax of each window.
///
/// - Parameters:
///   - output: [N, C, OH, OW], written.
///   - argmax: [N, C, OH, OW], written: flat index h·W + w inside the (n, c) plane.
///   - input: [N, C, H, W].
///   - kernel: window size (square).
///   - stride: step (both axes).
///   - padding: implicit padding (both axes).
///   - ceilMode: output-size rule, see `maxPoolOutputSize`.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///
/// Spec §2.1 (PyTorch `max_pool2d_with_indices`).
public func maxPoolForward(output: UnsafeMutablePointer<Float>,
                           argmax: UnsafeMutablePointer<Int32>,
                           input: UnsafePointer<Float>, kernel k: Int, stride s: Int,
                           padding p: Int, ceilMode: Bool,
                           batch n: Int, channels c: Int, height h: Int, width w: Int) {
    precondition(h * w <= Int(Int32.max), "max-pool plane too large for Int32 indices")
    let oh = maxPoolOutputSize(inputSize: h, kernel: k, stride: s, padding: p, ceilMode: ceilMode)
    let ow = maxPoolOutputSize(inputSize: w, kernel: k, stride: s, padding: p, ceilMode: ceilMode)
    nonisolated(unsafe) let output = output, argmax = argmax, input = input
    parallelFor(chunks: n * c * oh, work: n * c * (h * w + 2 * oh * ow)) { rows in
        for planeRow in rows {
            let plane = planeRow / oh, i = planeRow % oh
            let x = input + plane * h * w
            let y = output + plane * oh * ow
            let idx = argmax + plane * oh * ow
            let h0 = i * s - p
            let hStart = max(h0, 0), hEnd = min(h0 + k, h)
            for j in 0..<ow {
                let w0 = j * s - p
                let wStart = max(w0, 0), wEnd = min(w0 + k, w)
                var best = -Float.infinity
                var bestIndex = hStart * w + wStart
                for r in hStart..<hEnd {
                    let row = r * w
                    for q in wStart..<wEnd {
                        let v = x[row + q]
                        if v > best || v.isNaN {
                            best = v
                            bestIndex = row + q
                        }
                    }
                }
                y[i * ow + j] = best
                idx[i * ow + j] = Int32(truncatingIfNeeded: bestIndex)
            }
        }
    }
}

/// Max-pool data gradient: each output gradient goes, whole, to its window's argmax.
///
/// - Parameters:
///   - gradInput: [N, C, H, W], accumulated into.
///   - gradOutput: [N, C, OH, OW].
///   - argmax: [N, C, OH, OW], from `maxPoolForward`.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///   - outputHeight: OH.
///   - outputWidth: OW.
///
/// Spec §2.1 (PyTorch `max_pool2d_with_indices_backward`).
public func maxPoolBackwardData(gradInput: UnsafeMutablePointer<Float>,
                                gradOutput: UnsafePointer<Float>,
                                argmax: UnsafePointer<Int32>,
                                batch n: Int, channels c: Int, height h: Int, width w: Int,
                                outputHeight oh: Int, outputWidth ow: Int) {
    let planeOut = oh * ow, planeIn = h * w
    nonisolated(unsafe) let gradInput = gradInput, gradOutput = gradOutput, argmax = argmax
    parallelFor(chunks: n * c, work: n * c * (planeIn + 2 * planeOut)) { planes in
        for plane in planes {
            let g = gradOutput + plane * planeOut
            let idx = argmax + plane * planeOut
            let dx = gradInput + plane * planeIn
            for o in 0..<planeOut {
                dx[Int(idx[o])] += g[o]
            }
        }
    }
}
