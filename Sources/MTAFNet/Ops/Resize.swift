// Bilinear resize with align_corners = true (up- and downsampling), PyTorch semantics.
//
// Sizes: N = batch, C = channels, h×w = input size, H×W = output size. Input [N, C, h, w],
// output [N, C, H, W], both contiguous; each (n, c) plane is resized independently.
// Source coordinate of output (i, j): y = r_y·i, x = r_x·j with r_y = (h − 1)/(H − 1)
// (0 when H = 1), r_x likewise; y0 = ⌊y⌋, y1 = y0 + 1 if y0 < h − 1 else y0, a = y − y0
// (same for x with b). The weights are formed in Double and used as Float; the per-column
// tables live in a stack buffer (no heap allocation). Parallel chunks (Runtime/ParallelFor): one
// output row of one plane in the forward; one plane in the backward (its rows scatter into
// shared input rows, so a plane keeps its serial order).

/// Source row/column of one output index: (i0, i1, λ) with the weight λ of i1.
@inline(__always)
private func alignCornersSource(_ dst: Int, ratio: Double, inputSize: Int)
    -> (Int, Int, Float) {
    let real = ratio * Double(dst)
    var i0 = Int(real)  // real ≥ 0: truncation = floor
    if i0 > inputSize - 1 { i0 = inputSize - 1 }
    let i1 = i0 < inputSize - 1 ? i0 + 1 : i0
    let lambda = Float(real - Double(i0))
    return (i0, i1, lambda)
}

@inline(__always)
private func alignCornersRatio(inputSize: Int, outputSize: Int) -> Double {
    outputSize > 1 ? Double(inputSize - 1) / Double(outputSize - 1) : 0
}

/// Runs `body` with the per-output-column tables (x0, x1 as Int32 pairs; weights b).
@inline(__always)
private func withColumnTables<R>(inputWidth w: Int, outputWidth ow: Int,
                                 _ body: (UnsafePointer<Int32>, UnsafePointer<Float>) -> R)
    -> R {
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * ow) { cols in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: ow) { lambdas in
            let rx = alignCornersRatio(inputSize: w, outputSize: ow)
            for j in 0..<ow {
                let (x0, x1, b) = alignCornersSource(j, ratio: rx, inputSize: w)
                cols[2 * j] = Int32(truncatingIfNeeded: x0)
                cols[2 * j + 1] = Int32(truncatingIfNeeded: x1)
                lambdas[j] = b
            }
            return body(UnsafePointer(cols.baseAddress!), UnsafePointer(lambdas.baseAddress!))
        }
    }
}

/// Bilinear resize forward (align_corners = true).
///
/// - Parameters:
///   - output: [N, C, H, W], written.
///   - input: [N, C, h, w].
///   - batch: N.
///   - channels: C.
///   - inputHeight: h.
///   - inputWidth: w.
///   - outputHeight: H.
///   - outputWidth: W.
///
/// Spec §4.7 (PyTorch `F.interpolate(mode="bilinear", align_corners=True)`).
public func bilinearResizeForward(output: UnsafeMutablePointer<Float>,
                                  input: UnsafePointer<Float>,
                                  batch n: Int, channels c: Int,
                                  inputHeight h: Int, inputWidth w: Int,
                                  outputHeight oh: Int, outputWidth ow: Int) {
    precondition(h > 0 && w > 0 && oh > 0 && ow > 0, "empty bilinear resize")
    let ry = alignCornersRatio(inputSize: h, outputSize: oh)
    nonisolated(unsafe) let output = output, input = input
    withColumnTables(inputWidth: w, outputWidth: ow) { cols, lambdas in
        nonisolated(unsafe) let cols = cols, lambdas = lambdas
        parallelFor(chunks: n * c * oh, work: 5 * n * c * oh * ow) { rows in
            for row in rows {
                let plane = row / oh, i = row % oh
                let x = input + plane * h * w
                let (y0, y1, a) = alignCornersSource(i, ratio: ry, inputSize: h)
                let a0 = 1 - a
                let r0 = x + y0 * w, r1 = x + y1 * w
                let out = output + plane * oh * ow + i * ow
                for j in 0..<ow {
                    let x0 = Int(cols[2 * j]), x1 = Int(cols[2 * j + 1])
                    let b = lambdas[j], b0 = 1 - b
                    out[j] = a0 * (b0 * r0[x0] + b * r0[x1]) + a * (b0 * r1[x0] + b * r1[x1])
                }
            }
        }
    }
}

/// Bilinear resize data gradient: scatters each output gradient to its four source pixels with
/// the forward's weights.
///
/// - Parameters:
///   - gradInput: [N, C, h, w], accumulated into.
///   - gradOutput: [N, C, H, W].
///   - batch: N.
///   - channels: C.
///   - inputHeight: h.
///   - inputWidth: w.
///   - outputHeight: H.
///   - outputWidth: W.
///
/// Spec §4.7 (PyTorch `upsample_bilinear2d_backward`, align_corners).
public func bilinearResizeBackwardData(gradInput: UnsafeMutablePointer<Float>,
                                       gradOutput: UnsafePointer<Float>,
                                       batch n: Int, channels c: Int,
                                       inputHeight h: Int, inputWidth w: Int,
                                       outputHeight oh: Int, outputWidth ow: Int) {
    precondition(h > 0 && w > 0 && oh > 0 && ow > 0, "empty bilinear resize")
    let ry = alignCornersRatio(inputSize: h, outputSize: oh)
    nonisolated(unsafe) let gradInput = gradInput, gradOutput = gradOutput
    withColumnTables(inputWidth: w, outputWidth: ow) { cols, lambdas in
        nonisolated(unsafe) let cols = cols, lambdas = lambdas
        parallelFor(chunks: n * c, work: 5 * n * c * oh * ow) { planes in
            for plane in planes {
                let dx = gradInput + plane * h * w
                let g = gradOutput + plane * oh * ow
                for i in 0..<oh {
                    let (y0, y1, a) = alignCornersSource(i, ratio: ry, inputSize: h)
                    let a0 = 1 - a
                    let r0 = dx + y0 * w, r1 = dx + y1 * w
                    let grow = g + i * ow
                    for j in 0..<ow {
                        let x0 = Int(cols[2 * j]), x1 = Int(cols[2 * j + 1])
                        let b = lambdas[j], b0 = 1 - b
                        let v = grow[j]
                        r0[x0] += a0 * b0 * v
                        r0[x1] += a0 * b * v
                        r1[x0] += a * b0 * v
                        r1[x1] += a * b * v
                    }
                }
            }
        }
    }
}
