// BatchNorm2d with frozen affine parameters (weight and bias used, never trained).
//
// Sizes: N = batch, C = channels, H×W = spatial size, HW = H·W, m = N·H·W (elements per
// channel). Activations are NCHW ([N, C, H, W], contiguous); per-channel vectors are [C].
// Loops run over channels outermost and over each image's contiguous H·W plane innermost.
// Sums over a channel (m elements) are accumulated in Double; the per-channel coefficients are
// formed in Double (PyTorch's CPU kernels use a double accumulator for float) and the
// elementwise work runs in Float. Channels are the parallel chunks (Runtime/ParallelFor): each
// channel's sums and planes run on one thread in a fixed order, whatever the thread count.
// A ReLU that follows the BatchNorm can run in the same passes (`appliesReLU` in the forwards,
// `reluOutput` in the backwards), with the float operations of the two separate ops.
//
// Train mode (spec §2.7): normalize with the batch mean and BIASED variance, update the running
// statistics with momentum 0.1 and the UNBIASED variance (biased·m/(m−1)). The caller owns
// num_batches_tracked (add 1 per train-mode forward). For the distributed trainer (architecture §3.7)
// the batch mean and unbiased variance are exposed (`batchNormStatistics`, or the forward's
// optional `batchUnbiasedVariance`) and the EMA is a separate function
// (`batchNormUpdateRunningStatistics`), so a forward can leave the running statistics alone.

/// Σ x of one channel over all images (first pass of the two-pass variance).
@inline(__always)
private func channelSum(_ input: UnsafePointer<Float>, channel: Int, n: Int, c: Int,
                        hw: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    for b in 0..<n {
        let p = input + (b * c + channel) * hw
        var i = 0
        while i + 4 <= hw {
            s0 += Double(p[i]); s1 += Double(p[i + 1])
            s2 += Double(p[i + 2]); s3 += Double(p[i + 3])
            i += 4
        }
        while i < hw { s0 += Double(p[i]); i += 1 }
    }
    return (s0 + s1) + (s2 + s3)
}

/// Σ (x − mean)² of one channel over all images (second pass of the two-pass variance).
@inline(__always)
private func channelSquaredDeviation(_ input: UnsafePointer<Float>, mean: Double, channel: Int,
                                     n: Int, c: Int, hw: Int) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    for b in 0..<n {
        let p = input + (b * c + channel) * hw
        var i = 0
        while i + 4 <= hw {
            let d0 = Double(p[i]) - mean, d1 = Double(p[i + 1]) - mean
            let d2 = Double(p[i + 2]) - mean, d3 = Double(p[i + 3]) - mean
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
            i += 4
        }
        while i < hw { let d = Double(p[i]) - mean; s0 += d * d; i += 1 }
    }
    return (s0 + s1) + (s2 + s3)
}

/// `y[i] = x[i]·scale + shift` for i < count, then `max(y[i], 0)` when `relu` (the ReLU that
/// follows a BatchNorm, in the same pass: `y < 0 ? 0 : y` as `reluForward`, NaN and −0 kept).
/// `y` may be `x`.
@inline(__always)
private func batchNormAffinePlane(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                  scale: Float, shift: Float, relu: Bool, count: Int) {
    guard relu else {
        for i in 0..<count { y[i] = x[i] * scale + shift }
        return
    }
    // SIMD16 lanes with a select (a scalar ternary compiles to a mispredicted branch, see
    // ReLULayer); the same multiply and add as the plain loop.
    let src = UnsafeRawPointer(x), dst = UnsafeMutableRawPointer(y)
    let scaleV = SIMD16<Float>(repeating: scale), shiftV = SIMD16<Float>(repeating: shift)
    var i = 0
    while i + 16 <= count {
        let v = src.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self) * scaleV + shiftV
        dst.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: 4 * i, as: SIMD16<Float>.self)
        i += 16
    }
    while i < count {
        let v = x[i] * scale + shift
        y[i] = v < 0 ? 0 : v
        i += 1
    }
}

/// The output gradient of element i as a BatchNorm backward sees it: `g[i]`, or, with `masked`
/// (a ReLU followed the BatchNorm; `u` is its output), `u[i] > 0 ? g[i] : 0` as
/// `reluBackwardDataInPlace` leaves it. Both loads come first, so that the choice compiles to a
/// select rather than a branch (which mispredicts on half of the elements of a ReLU mask).
@inline(__always)
private func batchNormGradient(_ g: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ i: Int,
                               masked: Bool) -> Float {
    let gi = g[i]
    guard masked else { return gi }
    let ui = u[i]
    return ui > 0 ? gi : 0
}

/// `dx = dx + v`, or, with `overwrite`, `dx = 0 + v`: what accumulating into a zeroed tensor
/// gives (−0 included), written over whatever `dx` held (it may be the output gradient itself,
/// already read at this element).
@inline(__always)
private func batchNormStore(_ dx: UnsafeMutablePointer<Float>, _ i: Int, _ v: Float, overwrite: Bool) {
    dx[i] = overwrite ? 0 + v : dx[i] + v
}

/// Per-channel batch mean and UNBIASED variance of an NCHW batch: the statistics a train-mode
/// forward feeds into the running-statistics EMA (what the distributed trainer allgathers).
///
/// - Parameters:
///   - mean: [C], written: mean over N, H, W.
///   - unbiasedVariance: [C], written: Σ(x − mean)²/(m − 1), m = N·H·W.
///   - input: [N, C, H, W].
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W. (m = N·H·W must be > 1.)
///
/// Spec §2.7, architecture §3.7 (PyTorch `batch_norm_update_stats`).
public func batchNormStatistics(mean: UnsafeMutablePointer<Float>,
                                unbiasedVariance: UnsafeMutablePointer<Float>,
                                input: UnsafePointer<Float>,
                                batch n: Int, channels c: Int, height h: Int, width w: Int) {
    let hw = h * w, m = n * hw
    precondition(m > 1, "BatchNorm train mode needs more than 1 value per channel (got \(m))")
    nonisolated(unsafe) let mean = mean, unbiasedVariance = unbiasedVariance, input = input
    parallelFor(chunks: c, work: 2 * n * c * hw) { channels in
        for ch in channels {
            let mu = channelSum(input, channel: ch, n: n, c: c, hw: hw) / Double(m)
            let ss = channelSquaredDeviation(input, mean: mu, channel: ch, n: n, c: c, hw: hw)
            mean[ch] = Float(mu)
            unbiasedVariance[ch] = Float(ss / Double(m - 1))
        }
    }
}

/// Applies the running-statistics EMA from given batch statistics:
/// `runningMean = (1 − momentum)·runningMean + momentum·batchMean`, same for the variance with
/// the unbiased batch variance. Computed in Double, stored as Float.
///
/// - Parameters:
///   - runningMean: [C], updated in place.
///   - runningVar: [C], updated in place.
///   - batchMean: [C].
///   - batchUnbiasedVariance: [C].
///   - momentum: 0.1 in every BN of the segmenter.
///   - channels: C.
///
/// Spec §2.7 (PyTorch `BatchNorm2d` running-statistics update, momentum 0.1).
public func batchNormUpdateRunningStatistics(runningMean: UnsafeMutablePointer<Float>,
                                             runningVar: UnsafeMutablePointer<Float>,
                                             batchMean: UnsafePointer<Float>,
                                             batchUnbiasedVariance: UnsafePointer<Float>,
                                             momentum: Double = 0.1, channels c: Int) {
    for ch in 0..<c {
        runningMean[ch] = Float((1 - momentum) * Double(runningMean[ch])
                                + momentum * Double(batchMean[ch]))
        runningVar[ch] = Float((1 - momentum) * Double(runningVar[ch])
                               + momentum * Double(batchUnbiasedVariance[ch]))
    }
}

/// Train-mode BatchNorm forward: `output = (x − μ_B)/√(σ²_B + eps)·weight + bias` with the
/// batch mean μ_B and biased variance σ²_B per channel, optionally followed by a ReLU.
///
/// - Parameters:
///   - output: [N, C, H, W], written (may be `input`).
///   - savedMean: [C], written: μ_B (kept for the backward; also the EMA's batch mean).
///   - savedInvStd: [C], written: 1/√(σ²_B + eps) (kept for the backward).
///   - batchUnbiasedVariance: [C] or nil; when given, written with σ²_B·m/(m − 1).
///   - runningMean: [C] or nil; when given (with runningVar) the EMA is applied in place.
///   - runningVar: [C] or nil.
///   - input: [N, C, H, W].
///   - weight: [C] (γ, frozen).
///   - bias: [C] (β, frozen).
///   - eps: 1e-5.
///   - momentum: 0.1.
///   - appliesReLU: write max(output, 0) (a ReLU after the BatchNorm, in the same pass).
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W. (m = N·H·W must be > 1.)
///
/// The caller adds 1 to num_batches_tracked. Spec §2.7 (PyTorch `BatchNorm2d`, training mode).
public func batchNormTrainForward(output: UnsafeMutablePointer<Float>,
                                  savedMean: UnsafeMutablePointer<Float>,
                                  savedInvStd: UnsafeMutablePointer<Float>,
                                  batchUnbiasedVariance: UnsafeMutablePointer<Float>?,
                                  runningMean: UnsafeMutablePointer<Float>?,
                                  runningVar: UnsafeMutablePointer<Float>?,
                                  input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                                  bias: UnsafePointer<Float>, eps: Double = 1e-5,
                                  momentum: Double = 0.1, appliesReLU: Bool = false,
                                  batch n: Int, channels c: Int, height h: Int, width w: Int) {
    let hw = h * w, m = n * hw
    precondition(m > 1, "BatchNorm train mode needs more than 1 value per channel (got \(m))")
    precondition((runningMean == nil) == (runningVar == nil),
                 "runningMean and runningVar must be given together")
    nonisolated(unsafe) let output = output, savedMean = savedMean, savedInvStd = savedInvStd
    nonisolated(unsafe) let batchUnbiasedVariance = batchUnbiasedVariance
    nonisolated(unsafe) let runningMean = runningMean, runningVar = runningVar
    nonisolated(unsafe) let input = input, weight = weight, bias = bias
    // One channel per chunk: its sums and its plane run on one thread in a fixed order.
    parallelFor(chunks: c, work: 3 * n * c * hw) { channels in
        for ch in channels {
            let mu = channelSum(input, channel: ch, n: n, c: c, hw: hw) / Double(m)
            let ss = channelSquaredDeviation(input, mean: mu, channel: ch, n: n, c: c, hw: hw)
            let biased = ss / Double(m)
            let unbiased = ss / Double(m - 1)
            let invStd = 1 / (biased + eps).squareRoot()
            savedMean[ch] = Float(mu)
            savedInvStd[ch] = Float(invStd)
            batchUnbiasedVariance?[ch] = Float(unbiased)
            if let rm = runningMean, let rv = runningVar {
                rm[ch] = Float((1 - momentum) * Double(rm[ch]) + momentum * mu)
                rv[ch] = Float((1 - momentum) * Double(rv[ch]) + momentum * unbiased)
            }
            let scaleD = invStd * Double(weight[ch])
            let scale = Float(scaleD)
            let shift = Float(Double(bias[ch]) - mu * scaleD)
            for b in 0..<n {
                let off = (b * c + ch) * hw
                batchNormAffinePlane(output + off, input + off, scale: scale, shift: shift,
                                     relu: appliesReLU, count: hw)
            }
        }
    }
}

/// One channel of `batchNormTrainBackwardData`; `masked` as in `batchNormGradient` (`u` unused
/// without it), `overwrite` as in `batchNormStore`.
@inline(__always)
private func batchNormTrainBackwardChannel(_ ch: Int, gradInput: UnsafeMutablePointer<Float>,
                                           gradOutput: UnsafePointer<Float>,
                                           reluOutput u: UnsafePointer<Float>, masked: Bool,
                                           overwrite: Bool,
                                           input: UnsafePointer<Float>,
                                           savedMean: UnsafePointer<Float>,
                                           savedInvStd: UnsafePointer<Float>,
                                           weight: UnsafePointer<Float>,
                                           n: Int, c: Int, hw: Int) {
    let m = Double(n * hw)
    let mu = savedMean[ch]
    let muD = Double(mu)
    // Σ dy and Σ dy·(x − μ) over the channel.
    var sdy0 = 0.0, sdy1 = 0.0, sdx0 = 0.0, sdx1 = 0.0
    for b in 0..<n {
        let off = (b * c + ch) * hw
        let g = gradOutput + off, x = input + off, uc = u + off
        var i = 0
        while i + 2 <= hw {
            let g0 = Double(batchNormGradient(g, uc, i, masked: masked))
            let g1 = Double(batchNormGradient(g, uc, i + 1, masked: masked))
            sdy0 += g0; sdy1 += g1
            sdx0 += g0 * (Double(x[i]) - muD); sdx1 += g1 * (Double(x[i + 1]) - muD)
            i += 2
        }
        if i < hw {
            let g0 = Double(batchNormGradient(g, uc, i, masked: masked))
            sdy0 += g0; sdx0 += g0 * (Double(x[i]) - muD)
        }
    }
    let s = Double(savedInvStd[ch]), gamma = Double(weight[ch])
    let meanDy = (sdy0 + sdy1) / m
    let meanDyXc = (sdx0 + sdx1) / m  // mean(dy·(x − μ))
    // dx = a·dy + b·(x − μ) + k
    let a = Float(gamma * s)
    let bcoef = Float(-gamma * s * s * s * meanDyXc)
    let k = Float(-gamma * s * meanDy)
    for b in 0..<n {
        let off = (b * c + ch) * hw
        let g = gradOutput + off, x = input + off, uc = u + off, dx = gradInput + off
        for i in 0..<hw {
            let v = a * batchNormGradient(g, uc, i, masked: masked) + bcoef * (x[i] - mu) + k
            batchNormStore(dx, i, v, overwrite: overwrite)
        }
    }
}

/// Train-mode BatchNorm data gradient (batch statistics, frozen affine):
/// `gradInput += γ·s·(dy − mean(dy) − x̂·mean(dy·x̂))`, x̂ = (x − μ_B)·s, s = savedInvStd,
/// means over N, H, W per channel.
///
/// - Parameters:
///   - gradInput: [N, C, H, W], accumulated into (written with `overwritesGradInput`).
///   - gradOutput: [N, C, H, W].
///   - reluOutput: [N, C, H, W] or nil; when given (the forward applied a ReLU, this is its
///     output), dy = gradOutput·(reluOutput > 0): the ReLU's backward, in the same passes.
///   - overwritesGradInput: write `gradInput` as if it had been zero (it may then be
///     `gradOutput` itself: the input gradient replaces the output gradient in its buffer).
///   - input: [N, C, H, W], the forward's input.
///   - savedMean: [C], from `batchNormTrainForward`.
///   - savedInvStd: [C], from `batchNormTrainForward`.
///   - weight: [C] (γ).
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///
/// Spec §2.7 (PyTorch `batch_norm_backward`, training mode; no weight/bias gradient).
public func batchNormTrainBackwardData(gradInput: UnsafeMutablePointer<Float>,
                                       gradOutput: UnsafePointer<Float>,
                                       reluOutput: UnsafePointer<Float>? = nil,
                                       overwritesGradInput: Bool = false,
                                       input: UnsafePointer<Float>,
                                       savedMean: UnsafePointer<Float>,
                                       savedInvStd: UnsafePointer<Float>,
                                       weight: UnsafePointer<Float>,
                                       batch n: Int, channels c: Int, height h: Int,
                                       width w: Int) {
    let hw = h * w
    nonisolated(unsafe) let gradInput = gradInput, gradOutput = gradOutput, reluOutput = reluOutput
    nonisolated(unsafe) let input = input, savedMean = savedMean, savedInvStd = savedInvStd
    nonisolated(unsafe) let weight = weight
    // Each (masked, overwrite) pair as its own inlined loop, the choice made once per channel.
    @inline(__always)
    func channel(_ ch: Int, masked: Bool, overwrite: Bool) {
        batchNormTrainBackwardChannel(ch, gradInput: gradInput, gradOutput: gradOutput,
                                      reluOutput: reluOutput ?? gradOutput, masked: masked,
                                      overwrite: overwrite, input: input, savedMean: savedMean,
                                      savedInvStd: savedInvStd, weight: weight, n: n, c: c, hw: hw)
    }
    parallelFor(chunks: c, work: 5 * n * c * hw) { channels in
        for ch in channels {
            switch (reluOutput != nil, overwritesGradInput) {
            case (true, true): channel(ch, masked: true, overwrite: true)
            case (true, false): channel(ch, masked: true, overwrite: false)
            case (false, true): channel(ch, masked: false, overwrite: true)
            case (false, false): channel(ch, masked: false, overwrite: false)
            }
        }
    }
}

/// Eval-mode BatchNorm forward with the running statistics:
/// `output = (x − runningMean)/√(runningVar + eps)·weight + bias`, optionally followed by a ReLU.
///
/// - Parameters:
///   - output: [N, C, H, W], written (may be `input`).
///   - input: [N, C, H, W].
///   - runningMean: [C].
///   - runningVar: [C].
///   - weight: [C].
///   - bias: [C].
///   - eps: 1e-5.
///   - appliesReLU: write max(output, 0) (a ReLU after the BatchNorm, in the same pass).
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///
/// Spec §2.7 (PyTorch `BatchNorm2d`, eval mode).
public func batchNormEvalForward(output: UnsafeMutablePointer<Float>,
                                 input: UnsafePointer<Float>,
                                 runningMean: UnsafePointer<Float>,
                                 runningVar: UnsafePointer<Float>,
                                 weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                 eps: Double = 1e-5, appliesReLU: Bool = false,
                                 batch n: Int, channels c: Int, height h: Int, width w: Int) {
    let hw = h * w
    nonisolated(unsafe) let output = output, input = input
    nonisolated(unsafe) let runningMean = runningMean, runningVar = runningVar, weight = weight, bias = bias
    parallelFor(chunks: c, work: 2 * n * c * hw) { channels in
        for ch in channels {
            let scaleD = Double(weight[ch]) / (Double(runningVar[ch]) + eps).squareRoot()
            let scale = Float(scaleD)
            let shift = Float(Double(bias[ch]) - Double(runningMean[ch]) * scaleD)
            for b in 0..<n {
                let off = (b * c + ch) * hw
                batchNormAffinePlane(output + off, input + off, scale: scale, shift: shift,
                                     relu: appliesReLU, count: hw)
            }
        }
    }
}

/// Eval-mode BatchNorm data gradient: `gradInput += dy·weight/√(runningVar + eps)`.
///
/// - Parameters:
///   - gradInput: [N, C, H, W], accumulated into (written with `overwritesGradInput`).
///   - gradOutput: [N, C, H, W].
///   - reluOutput: [N, C, H, W] or nil; as in `batchNormTrainBackwardData`
///     (dy = gradOutput·(reluOutput > 0), else dy = gradOutput).
///   - overwritesGradInput: as in `batchNormTrainBackwardData` (`gradInput` may be `gradOutput`).
///   - runningVar: [C], as used by the forward.
///   - weight: [C].
///   - eps: 1e-5.
///   - batch: N.
///   - channels: C.
///   - height: H.
///   - width: W.
///
/// Spec §2.7 (PyTorch `batch_norm_backward`, eval mode).
public func batchNormEvalBackwardData(gradInput: UnsafeMutablePointer<Float>,
                                      gradOutput: UnsafePointer<Float>,
                                      reluOutput: UnsafePointer<Float>? = nil,
                                      overwritesGradInput: Bool = false,
                                      runningVar: UnsafePointer<Float>,
                                      weight: UnsafePointer<Float>, eps: Double = 1e-5,
                                      batch n: Int, channels c: Int, height h: Int,
                                      width w: Int) {
    let hw = h * w
    nonisolated(unsafe) let gradInput = gradInput, gradOutput = gradOutput, reluOutput = reluOutput
    nonisolated(unsafe) let runningVar = runningVar, weight = weight
    parallelFor(chunks: c, work: 3 * n * c * hw) { channels in
        for ch in channels {
            let scale = Float(Double(weight[ch]) / (Double(runningVar[ch]) + eps).squareRoot())
            for b in 0..<n {
                let off = (b * c + ch) * hw
                let g = gradOutput + off, dx = gradInput + off
                let u = (reluOutput ?? gradOutput) + off
                switch (reluOutput != nil, overwritesGradInput) {
                case (true, true):
                    for i in 0..<hw { batchNormStore(dx, i, batchNormGradient(g, u, i, masked: true) * scale, overwrite: true) }
                case (true, false):
                    for i in 0..<hw { batchNormStore(dx, i, batchNormGradient(g, u, i, masked: true) * scale, overwrite: false) }
                case (false, true):
                    for i in 0..<hw { batchNormStore(dx, i, g[i] * scale, overwrite: true) }
                case (false, false):
                    for i in 0..<hw { batchNormStore(dx, i, g[i] * scale, overwrite: false) }
                }
            }
        }
    }
}
