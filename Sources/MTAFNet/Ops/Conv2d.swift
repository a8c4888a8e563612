// 2-D convolution (groups = 1) by im2col + GEMM (`convolutionGEMM`: FP32, or bf16 operands with FP32
// sums under TRAIN.AMP / TEST.AMP, Ops/GEMMPrecision.swift), one GEMM per image.
//
// Sizes: N batch, Cin input channels, H×W input map, Cout output channels, KH×KW kernel,
// Ho×Wo output map (`Conv2dGeometry.outputHeight/Width`), K = Cin·KH·KW, P = Ho·Wo, HW = H·W.
// Layouts (row-major): input [N, Cin, H, W], weight [Cout, Cin, KH, KW], bias [Cout],
// output [N, Cout, Ho, Wo]; the im2col matrix of one image is [K, P] with row (ci·KH + kh)·KW + kw.
// A 1×1 stride-1 unpadded convolution uses the input image itself as its [Cin, HW] matrix.
// Otherwise the columns are built in blocks of whole output rows (about
// `ConvWorkspace.columnBlockFloats` floats each), one GEMM per block, so that a block is still in
// cache when the GEMM reads it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Computes `output = conv2d(input, weight) + bias` (overwrites `output`).
///
/// - Parameters:
///   - output: [N, Cout, Ho, Wo], written.
///   - input: [N, Cin, H, W].
///   - weight: [Cout, Cin, KH, KW].
///   - bias: [Cout], or nil for a convolution without bias.
///   - workspace: scratch; grows to one block of im2col columns (unused for 1×1 stride-1).
///   - geometry: channels, kernel, stride, padding, dilation.
///   - batch, height, width: N, H, W.
///
/// Spec §2.1–§2.4, §3; PyTorch `torch.nn.functional.conv2d`.
public func conv2dForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                          weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                          workspace: ConvWorkspace,
                          geometry g: Conv2dGeometry, batch: Int, height: Int, width: Int) {
    let (ho, wo) = checkedOutputSize(g, batch: batch, height: height, width: width)
    let p = ho * wo, k = g.columnRows, cout = g.outChannels
    let inStride = g.inChannels * height * width, outStride = cout * p
    let block = g.isPointwise ? ho : convRowsPerBlock(g, outH: ho, outW: wo, workspace)
    let col: UnsafeMutablePointer<Float>? = g.isPointwise ? nil : workspace.buffer(k * block * wo)
    for n in 0..<batch {
        let y = output + n * outStride
        if let bias {
            for c in 0..<cout { convFill(y + c * p, bias[c], p) }
        }
        let beta: Float = bias == nil ? 0 : 1
        guard let col else {
            convolutionGEMM(transA: false, transB: false, m: cout, n: p, k: k,
                  alpha: 1, a: weight, lda: k, b: input + n * inStride, ldb: p,
                  beta: beta, c: y, ldc: p)
            continue
        }
        for r0 in stride(from: 0, to: ho, by: block) {
            let rows = r0..<min(ho, r0 + block), pc = rows.count * wo
            im2col(col, input + n * inStride, g, height: height, width: width, outH: ho, outW: wo, rows: rows)
            convolutionGEMM(transA: false, transB: false, m: cout, n: pc, k: k,
                  alpha: 1, a: weight, lda: k, b: col, ldb: pc,
                  beta: beta, c: y + r0 * wo, ldc: p)
        }
    }
}

/// Accumulates the input gradient: `gradInput += conv2d_input_grad(gradOutput, weight)`.
///
/// - Parameters:
///   - gradInput: [N, Cin, H, W], accumulated into.
///   - gradOutput: [N, Cout, Ho, Wo].
///   - weight: [Cout, Cin, KH, KW].
///   - workspace: scratch; grows to one block of im2col columns (unused for 1×1 stride-1).
///   - geometry, batch, height, width: as in `conv2dForward`.
///
/// Spec §2.1–§2.4, §3; PyTorch `torch.nn.grad.conv2d_input` (the backward of `conv2d`).
public func conv2dBackwardData(gradInput: UnsafeMutablePointer<Float>,
                               gradOutput: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               workspace: ConvWorkspace,
                               geometry g: Conv2dGeometry, batch: Int, height: Int, width: Int) {
    let (ho, wo) = checkedOutputSize(g, batch: batch, height: height, width: width)
    let p = ho * wo, k = g.columnRows, cout = g.outChannels
    let inStride = g.inChannels * height * width, outStride = cout * p
    if g.isPointwise {
        for n in 0..<batch {
            convolutionGEMM(transA: true, transB: false, m: k, n: p, k: cout,
                  alpha: 1, a: weight, lda: k, b: gradOutput + n * outStride, ldb: p,
                  beta: 1, c: gradInput + n * inStride, ldc: p)
        }
        return
    }
    let block = convRowsPerBlock(g, outH: ho, outW: wo, workspace)
    let col = workspace.buffer(k * block * wo)
    for n in 0..<batch {
        for r0 in stride(from: 0, to: ho, by: block) {
            let rows = r0..<min(ho, r0 + block), pc = rows.count * wo
            convolutionGEMM(transA: true, transB: false, m: k, n: pc, k: cout,
                  alpha: 1, a: weight, lda: k, b: gradOutput + n * outStride + r0 * wo, ldb: p,
                  beta: 0, c: col, ldc: pc)
            col2im(gradInput + n * inStride, col, g, height: height, width: width, outH: ho, outW: wo, rows: rows)
        }
    }
}

/// Accumulates the weight (and bias) gradients: `gradWeight += Σₙ gradOutputₙ · im2col(inputₙ)ᵀ`,
/// `gradBias += Σ gradOutput` over batch and space.
///
/// - Parameters:
///   - gradWeight: [Cout, Cin, KH, KW], accumulated into.
///   - gradBias: [Cout], accumulated into, or nil to skip it.
///   - input: [N, Cin, H, W].
///   - gradOutput: [N, Cout, Ho, Wo].
///   - workspace: scratch; grows to one block of im2col columns (unused for 1×1 stride-1).
///   - geometry, batch, height, width: as in `conv2dForward`.
///
/// Spec §2.1–§2.4, §3; PyTorch `torch.nn.grad.conv2d_weight` (the backward of `conv2d`).
public func conv2dBackwardWeight(gradWeight: UnsafeMutablePointer<Float>,
                                 gradBias: UnsafeMutablePointer<Float>?,
                                 input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                                 workspace: ConvWorkspace,
                                 geometry g: Conv2dGeometry, batch: Int, height: Int, width: Int) {
    let (ho, wo) = checkedOutputSize(g, batch: batch, height: height, width: width)
    let p = ho * wo, k = g.columnRows, cout = g.outChannels
    let inStride = g.inChannels * height * width, outStride = cout * p
    let block = g.isPointwise ? ho : convRowsPerBlock(g, outH: ho, outW: wo, workspace)
    let col: UnsafeMutablePointer<Float>? = g.isPointwise ? nil : workspace.buffer(k * block * wo)
    for n in 0..<batch {
        guard let col else {
            convolutionGEMM(transA: false, transB: true, m: cout, n: k, k: p,
                  alpha: 1, a: gradOutput + n * outStride, lda: p, b: input + n * inStride, ldb: p,
                  beta: 1, c: gradWeight, ldc: k)
            continue
        }
        for r0 in stride(from: 0, to: ho, by: block) {
            let rows = r0..<min(ho, r0 + block), pc = rows.count * wo
            im2col(col, input + n * inStride, g, height: height, width: width, outH: ho, outW: wo, rows: rows)
            convolutionGEMM(transA: false, transB: true, m: cout, n: k, k: pc,
                  alpha: 1, a: gradOutput + n * outStride + r0 * wo, lda: p, b: col, ldb: pc,
                  beta: 1, c: gradWeight, ldc: k)
        }
    }
    if let gradBias {
        conv2dBackwardBias(gradBias: gradBias, gradOutput: gradOutput,
                           channels: cout, batch: batch, outputHeight: ho, outputWidth: wo)
    }
}

/// Accumulates the bias gradient: `gradBias[c] += Σ_{n, y, x} gradOutput[n, c, y, x]`.
///
/// - Parameters:
///   - gradBias: [Cout], accumulated into.
///   - gradOutput: [N, Cout, Ho, Wo].
///   - channels, batch, outputHeight, outputWidth: Cout, N, Ho, Wo.
///
/// Spec §2.4, §3; PyTorch `conv2d` bias gradient (`grad_output.sum((0, 2, 3))`).
public func conv2dBackwardBias(gradBias: UnsafeMutablePointer<Float>,
                               gradOutput: UnsafePointer<Float>,
                               channels: Int, batch: Int, outputHeight: Int, outputWidth: Int) {
    let p = outputHeight * outputWidth
    nonisolated(unsafe) let gradBias = gradBias, gradOutput = gradOutput
    // One channel per chunk: its sum runs on one thread in a fixed order.
    parallelFor(chunks: channels, work: batch * channels * p) { chunk in
        for c in chunk {
            var s: Float = 0
            for n in 0..<batch { s += convPlaneSum(gradOutput + (n * channels + c) * p, p) }
            gradBias[c] += s
        }
    }
}

// MARK: - Internals shared with the ASPP

/// (Ho, Wo), after checking that the map yields at least one output pixel.
func checkedOutputSize(_ g: Conv2dGeometry, batch: Int, height: Int, width: Int) -> (Int, Int) {
    precondition(batch >= 0 && height > 0 && width > 0,
                 "conv2d: bad input size N=\(batch) H=\(height) W=\(width)")
    let ho = g.outputHeight(height), wo = g.outputWidth(width)
    precondition(ho > 0 && wo > 0, "conv2d \(g): input \(height)x\(width) gives an empty output")
    return (ho, wo)
}

/// The outputs `o` in `0..<outCount` whose input index `o·stride + offset` lies in `0..<inCount`,
/// as a half-open range `lo..<hi` (empty when none does).
@inline(__always)
func convValidRange(offset: Int, stride: Int, inCount: Int, outCount: Int) -> (lo: Int, hi: Int) {
    let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    let last = inCount - 1 - offset
    let hi = last < 0 ? 0 : min(outCount, last / stride + 1)
    return (min(lo, hi), hi)
}

@inline(__always)
func convFill(_ p: UnsafeMutablePointer<Float>, _ value: Float, _ count: Int) {
    if value == 0 && value.sign == .plus {
        memset(p, 0, count * MemoryLayout<Float>.stride)
    } else {
        p.update(repeating: value, count: count)
    }
}

@inline(__always)
func convZero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    if count > 0 { memset(p, 0, count * MemoryLayout<Float>.stride) }
}

/// `dst[i] += src[i]` for `i < count`.
@inline(__always)
func convAddInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
    for i in 0..<count { dst[i] += src[i] }
}

/// `dst[t] = src[2t]` for `t < count`, 16 at a time (never reads past `src[2·(count − 1)]`).
@inline(__always)
func convGatherStride2(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
    var t = 0
    while t + 16 < count {
        let v = UnsafeRawPointer(src + 2 * t).loadUnaligned(as: SIMD32<Float>.self)
        UnsafeMutableRawPointer(dst + t).storeBytes(of: v.evenHalf, as: SIMD16<Float>.self)
        t += 16
    }
    while t < count {
        dst[t] = src[2 * t]
        t += 1
    }
}

/// `dst[2t] += src[t]` for `t < count`, 16 at a time (never touches past `dst[2·(count − 1)]`).
@inline(__always)
func convScatterAddStride2(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
    var t = 0
    while t + 16 < count {
        var v = UnsafeRawPointer(dst + 2 * t).loadUnaligned(as: SIMD32<Float>.self)
        v.evenHalf += UnsafeRawPointer(src + t).loadUnaligned(as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(dst + 2 * t).storeBytes(of: v, as: SIMD32<Float>.self)
        t += 16
    }
    while t < count {
        dst[2 * t] += src[t]
        t += 1
    }
}

/// Σ p[0..<count] with eight independent partial sums.
func convPlaneSum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
    var a0: Float = 0, a1: Float = 0, a2: Float = 0, a3: Float = 0
    var a4: Float = 0, a5: Float = 0, a6: Float = 0, a7: Float = 0
    var i = 0
    while i + 8 <= count {
        a0 += p[i]; a1 += p[i + 1]; a2 += p[i + 2]; a3 += p[i + 3]
        a4 += p[i + 4]; a5 += p[i + 5]; a6 += p[i + 6]; a7 += p[i + 7]
        i += 8
    }
    var s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
    while i < count {
        s += p[i]
        i += 1
    }
    return s
}

/// Writes output rows `rows` of the im2col matrix of one image `x` ([Cin, H, W]) into `col`
/// ([K, Pc], Pc = rows.count·Wo); padding reads as 0.
func im2col(_ col: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ g: Conv2dGeometry,
            height: Int, width: Int, outH: Int, outW: Int, rows: Range<Int>) {
    let kh = g.kernelH, kw = g.kernelW, sh = g.strideH, sw = g.strideW
    let pc = rows.count * outW, hw = height * width
    parallelFor(chunks: g.inChannels * kh, work: g.columnRows * pc) { units in
        for u in units {
            let c = u / kh, i = u % kh
            let ihOff = i * g.dilationH - g.padH
            let (ohLo, ohHi) = convValidRange(offset: ihOff, stride: sh, inCount: height, outCount: outH)
            let lo = min(max(ohLo, rows.lowerBound), rows.upperBound)
            let hi = max(min(ohHi, rows.upperBound), lo)
            let plane = x + c * hw
            for j in 0..<kw {
                let iwOff = j * g.dilationW - g.padW
                let (owLo, owHi) = convValidRange(offset: iwOff, stride: sw, inCount: width, outCount: outW)
                let run = owHi - owLo
                let row = col + (u * kw + j) * pc - rows.lowerBound * outW
                convZero(row + rows.lowerBound * outW, (lo - rows.lowerBound) * outW)
                convZero(row + hi * outW, (rows.upperBound - hi) * outW)
                for oh in lo..<hi {
                    let dst = row + oh * outW
                    let src = plane + (oh * sh + ihOff) * width + owLo * sw + iwOff
                    convZero(dst, owLo)
                    convZero(dst + owHi, outW - owHi)
                    if sw == 1 {
                        if run > 0 { memcpy(dst + owLo, src, run * MemoryLayout<Float>.stride) }
                    } else if sw == 2 {
                        convGatherStride2(dst + owLo, src, run)
                    } else {
                        let d = dst + owLo
                        for t in 0..<run { d[t] = src[t * sw] }
                    }
                }
            }
        }
    }
}

/// Adds output rows `rows` of the column matrix `col` ([K, Pc], Pc = rows.count·Wo) back onto the
/// image gradient `gx` ([Cin, H, W]), the adjoint of `im2col` (padding positions are dropped).
func col2im(_ gx: UnsafeMutablePointer<Float>, _ col: UnsafePointer<Float>, _ g: Conv2dGeometry,
            height: Int, width: Int, outH: Int, outW: Int, rows: Range<Int>) {
    let kh = g.kernelH, kw = g.kernelW, sh = g.strideH, sw = g.strideW
    let pc = rows.count * outW, hw = height * width
    parallelFor(chunks: g.inChannels, work: g.columnRows * pc) { channels in
        for c in channels {
            let plane = gx + c * hw
            for i in 0..<kh {
                let ihOff = i * g.dilationH - g.padH
                let (ohLo, ohHi) = convValidRange(offset: ihOff, stride: sh, inCount: height, outCount: outH)
                let lo = min(max(ohLo, rows.lowerBound), rows.upperBound)
                let hi = max(min(ohHi, rows.upperBound), lo)
                for j in 0..<kw {
                    let iwOff = j * g.dilationW - g.padW
                    let (owLo, owHi) = convValidRange(offset: iwOff, stride: sw, inCount: width, outCount: outW)
                    let run = owHi - owLo
                    if run <= 0 { continue }
                    let row = col + ((c * kh + i) * kw + j) * pc - rows.lowerBound * outW
                    for oh in lo..<hi {
                        let src = row + oh * outW + owLo
                        let dst = plane + (oh * sh + ihOff) * width + owLo * sw + iwOff
                        if sw == 1 {
                            convAddInPlace(dst, src, run)
                        } else if sw == 2 {
                            convScatterAddStride2(dst, src, run)
                        } else {
                            for t in 0..<run { dst[t * sw] += src[t] }
                        }
                    }
                }
            }
        }
    }
}

/// Output rows per im2col block: about `workspace.columnBlockFloats` floats of [K, rows·Wo]
/// columns, so that a block is still in cache when the GEMM reads it, but at least
/// `workspace.columnBlockMinColumns` columns (a GEMM with a narrow N is slow); 1 ≤ rows ≤ Ho.
func convRowsPerBlock(_ g: Conv2dGeometry, outH: Int, outW: Int, _ workspace: ConvWorkspace) -> Int {
    let bySize = workspace.columnBlockFloats / max(1, g.columnRows * outW)
    let byWidth = (workspace.columnBlockMinColumns + outW - 1) / outW
    return min(outH, max(1, bySize, byWidth))
}
