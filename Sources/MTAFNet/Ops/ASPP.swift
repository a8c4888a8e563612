// DeepLab-v2's classifier as one GEMM per image instead of B skinny im2col GEMMs.
//
// Sizes: N batch, Cin input channels, C classes, H×W map (HW = H·W), B branches with dilations dᵦ.
// Each branch tap (b, kh, kw) reads the input shifted by (dy, dx) = ((kh−1)·dᵦ, (kw−1)·dᵦ).
// Taps with equal shifts are merged into one "group" (the B centre taps always are); taps whose
// shift leaves the map (|dy| ≥ H or |dx| ≥ W) only ever see zero padding and are dropped.
// With G groups (≤ 8·B + 1):
//   A [G·C, Cin]  packed weights, A[(g, c), ci] = Σ_{(b, tap) ∈ g} Wᵦ[c, ci, tap]
//   T [G·C, HW]   = A · Xₙ (forward), then out[c, y, x] = Σᵦ biasᵦ[c] + Σ_g T[(g, c), y + dy, x + dx]
//   S [G·C, HW]   S[(g, c), y, x] = gradOut[c, y − dy, x − dx] (zero outside the map)
//   gradXₙ += Aᵀ · S;   Gm [G·C, Cin] = Σₙ S · Xₙᵀ, scattered back onto every member tap.
// Layouts: input [N, Cin, H, W], each weights[b] [C, Cin, 3, 3], each biases[b] [C],
// output [N, C, H, W].

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Computes `output = Σᵦ conv2d(input, weights[b], biases[b], padding = dilation = dᵦ)`
/// (overwrites `output`).
///
/// - Parameters:
///   - output: [N, C, H, W], written.
///   - input: [N, Cin, H, W].
///   - weights: B pointers, each [C, Cin, 3, 3].
///   - biases: B pointers, each [C].
///   - workspace: scratch; grows to G·C·(Cin + HW) floats.
///   - geometry: Cin, C and the dilations.
///   - batch, height, width: N, H, W.
///
/// Spec §2.4; upstream `ClassifierModule.forward` (four `nn.Conv2d`, outputs summed).
public func asppForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                        weights: [UnsafePointer<Float>], biases: [UnsafePointer<Float>],
                        workspace: ConvWorkspace,
                        geometry: ASPPGeometry, batch: Int, height: Int, width: Int) {
    precondition(weights.count == geometry.branches && biases.count == geometry.branches,
                 "asppForward: need \(geometry.branches) weights and biases")
    let plan = ASPPPlan(geometry, height: height, width: width)
    let c = geometry.classes, cin = geometry.inChannels, hw = height * width
    let rows = plan.groups * c
    let aCount = roundUp(rows * cin)
    let buffer = workspace.buffer(aCount + rows * hw)
    let a = buffer, t = buffer + aCount
    plan.pack(a, weights: weights, geometry: geometry)
    for n in 0..<batch {
        let y = output + n * c * hw
        for ch in 0..<c {
            var b: Float = 0
            for bias in biases { b += bias[ch] }
            convFill(y + ch * hw, b, hw)
        }
        if rows == 0 { continue }
        convolutionGEMM(transA: false, transB: false, m: rows, n: hw, k: cin,
              alpha: 1, a: a, lda: cin, b: input + n * cin * hw, ldb: hw,
              beta: 0, c: t, ldc: hw)
        for g in 0..<plan.groups {
            let dy = plan.shiftY[g], dx = plan.shiftX[g]
            let (yLo, yHi) = convValidRange(offset: dy, stride: 1, inCount: height, outCount: height)
            let (xLo, xHi) = convValidRange(offset: dx, stride: 1, inCount: width, outCount: width)
            let run = xHi - xLo
            if run <= 0 { continue }
            for ch in 0..<c {
                let src = t + (g * c + ch) * hw
                let dst = y + ch * hw
                for yy in yLo..<yHi {
                    convAddInPlace(dst + yy * width + xLo, src + (yy + dy) * width + xLo + dx, run)
                }
            }
        }
    }
}

/// Accumulates the input gradient of `asppForward`: `gradInput += Σᵦ conv2d_input_grad(gradOutput, weights[b])`.
///
/// - Parameters:
///   - gradInput: [N, Cin, H, W], accumulated into.
///   - gradOutput: [N, C, H, W].
///   - weights: B pointers, each [C, Cin, 3, 3].
///   - workspace: scratch; grows to G·C·(Cin + HW) floats.
///   - geometry, batch, height, width: as in `asppForward`.
///
/// Spec §2.4; upstream `ClassifierModule` backward (PyTorch autograd of the four convolutions).
public func asppBackwardData(gradInput: UnsafeMutablePointer<Float>, gradOutput: UnsafePointer<Float>,
                             weights: [UnsafePointer<Float>],
                             workspace: ConvWorkspace,
                             geometry: ASPPGeometry, batch: Int, height: Int, width: Int) {
    precondition(weights.count == geometry.branches, "asppBackwardData: need \(geometry.branches) weights")
    let plan = ASPPPlan(geometry, height: height, width: width)
    let c = geometry.classes, cin = geometry.inChannels, hw = height * width
    let rows = plan.groups * c
    if rows == 0 { return }
    let aCount = roundUp(rows * cin)
    let buffer = workspace.buffer(aCount + rows * hw)
    let a = buffer, s = buffer + aCount
    plan.pack(a, weights: weights, geometry: geometry)
    for n in 0..<batch {
        plan.shiftedPlanes(s, gradOutput + n * c * hw, classes: c, height: height, width: width)
        convolutionGEMM(transA: true, transB: false, m: cin, n: hw, k: rows,
              alpha: 1, a: a, lda: cin, b: s, ldb: hw,
              beta: 1, c: gradInput + n * cin * hw, ldc: hw)
    }
}

/// Accumulates the parameter gradients of `asppForward`: each `gradWeights[b]` += its branch's
/// weight gradient, each `gradBiases[b]` += Σ gradOutput over batch and space.
///
/// - Parameters:
///   - gradWeights: B pointers, each [C, Cin, 3, 3], accumulated into.
///   - gradBiases: B pointers, each [C], accumulated into; nil to skip.
///   - input: [N, Cin, H, W].
///   - gradOutput: [N, C, H, W].
///   - workspace: scratch; grows to G·C·(Cin + HW) floats.
///   - geometry, batch, height, width: as in `asppForward`.
///
/// Spec §2.4; upstream `ClassifierModule` backward (PyTorch autograd of the four convolutions).
public func asppBackwardWeight(gradWeights: [UnsafeMutablePointer<Float>],
                               gradBiases: [UnsafeMutablePointer<Float>]?,
                               input: UnsafePointer<Float>, gradOutput: UnsafePointer<Float>,
                               workspace: ConvWorkspace,
                               geometry: ASPPGeometry, batch: Int, height: Int, width: Int) {
    precondition(gradWeights.count == geometry.branches, "asppBackwardWeight: need \(geometry.branches) weights")
    let plan = ASPPPlan(geometry, height: height, width: width)
    let c = geometry.classes, cin = geometry.inChannels, hw = height * width
    let rows = plan.groups * c
    if let gradBiases {
        precondition(gradBiases.count == geometry.branches, "asppBackwardWeight: need \(geometry.branches) biases")
        for ch in 0..<c {
            var sum: Float = 0
            for n in 0..<batch { sum += convPlaneSum(gradOutput + (n * c + ch) * hw, hw) }
            for gb in gradBiases { gb[ch] += sum }
        }
    }
    if rows == 0 || batch == 0 { return }
    let gCount = roundUp(rows * cin)
    let buffer = workspace.buffer(gCount + rows * hw)
    let gm = buffer, s = buffer + gCount
    for n in 0..<batch {
        plan.shiftedPlanes(s, gradOutput + n * c * hw, classes: c, height: height, width: width)
        convolutionGEMM(transA: false, transB: true, m: rows, n: cin, k: hw,
              alpha: 1, a: s, lda: hw, b: input + n * cin * hw, ldb: hw,
              beta: n == 0 ? 0 : 1, c: gm, ldc: cin)
    }
    plan.unpack(gm, into: gradWeights, geometry: geometry)
}

@inline(__always)
private func roundUp(_ count: Int) -> Int { (count + 15) & ~15 }

/// The tap groups of one ASPP on one map size (see the file comment).
private struct ASPPPlan {
    var groups = 0
    var shiftY: [Int] = []
    var shiftX: [Int] = []
    /// Group of tap (b, kh·3 + kw) at index b·9 + tap, or −1 for a dropped tap.
    var memberGroup: [Int]

    init(_ geometry: ASPPGeometry, height: Int, width: Int) {
        memberGroup = Array(repeating: -1, count: geometry.branches * 9)
        for b in 0..<geometry.branches {
            let d = geometry.dilations[b]
            for tap in 0..<9 {
                let dy = (tap / 3 - 1) * d, dx = (tap % 3 - 1) * d
                if abs(dy) >= height || abs(dx) >= width { continue }
                var g = 0
                while g < groups && (shiftY[g] != dy || shiftX[g] != dx) { g += 1 }
                if g == groups {
                    shiftY.append(dy)
                    shiftX.append(dx)
                    groups += 1
                }
                memberGroup[b * 9 + tap] = g
            }
        }
    }

    /// Fills A [G·C, Cin] from the branch weights ([C, Cin, 3, 3] each).
    func pack(_ a: UnsafeMutablePointer<Float>, weights: [UnsafePointer<Float>], geometry: ASPPGeometry) {
        let c = geometry.classes, cin = geometry.inChannels
        convZero(a, groups * c * cin)
        for b in 0..<geometry.branches {
            let w = weights[b]
            for tap in 0..<9 {
                let g = memberGroup[b * 9 + tap]
                if g < 0 { continue }
                for ch in 0..<c {
                    let dst = a + (g * c + ch) * cin
                    let src = w + ch * cin * 9 + tap
                    for ci in 0..<cin { dst[ci] += src[ci * 9] }
                }
            }
        }
    }

    /// Adds the group gradients Gm [G·C, Cin] onto every member tap of every branch's gradient.
    func unpack(_ gm: UnsafePointer<Float>, into gradWeights: [UnsafeMutablePointer<Float>],
                geometry: ASPPGeometry) {
        let c = geometry.classes, cin = geometry.inChannels
        for b in 0..<geometry.branches {
            let gw = gradWeights[b]
            for tap in 0..<9 {
                let g = memberGroup[b * 9 + tap]
                if g < 0 { continue }
                for ch in 0..<c {
                    let src = gm + (g * c + ch) * cin
                    let dst = gw + ch * cin * 9 + tap
                    for ci in 0..<cin { dst[ci * 9] += src[ci] }
                }
            }
        }
    }

    /// Writes S [G·C, HW]: S[(g, c), y, x] = gy[c, y − dy, x − dx], zero where that leaves the map.
    func shiftedPlanes(_ s: UnsafeMutablePointer<Float>, _ gy: UnsafePointer<Float>,
                       classes c: Int, height: Int, width: Int) {
        let hw = height * width
        for g in 0..<groups {
            let dy = shiftY[g], dx = shiftX[g]
            let (yLo, yHi) = convValidRange(offset: -dy, stride: 1, inCount: height, outCount: height)
            let (xLo, xHi) = convValidRange(offset: -dx, stride: 1, inCount: width, outCount: width)
            let run = xHi - xLo
            for ch in 0..<c {
                let dst = s + (g * c + ch) * hw
                let src = gy + ch * hw
                if run <= 0 || yHi <= yLo {
                    convZero(dst, hw)
                    continue
                }
                convZero(dst, yLo * width)
                convZero(dst + yHi * width, (height - yHi) * width)
                for yy in yLo..<yHi {
                    let row = dst + yy * width
                    convZero(row, xLo)
                    convZero(row + xHi, width - xHi)
                    memcpy(row + xLo, src + (yy - dy) * width + xLo - dx, run * MemoryLayout<Float>.stride)
                }
            }
        }
    }
}
