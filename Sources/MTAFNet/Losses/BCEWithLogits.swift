// BCE-with-logits of a discriminator output map against a constant domain label
// (upstream `bce_loss`).
//
// Sizes: count = number of elements of the map (N·1·h·w); input and gradient are contiguous
// [count] buffers. Computed in Double per element (the maps are small), summed in Double.

import Foundation

/// BCE-with-logits against the constant `target`, mean over all elements, in the stable form
/// ℓ = max(x, 0) − x·y + log(1 + exp(−|x|)); gradient (σ(x) − y)/count.
///
/// - Parameters:
///   - gradInput: [count] or nil; when given, `scale·dLoss/dx` is accumulated into it.
///   - input: [count], discriminator logits.
///   - target: the constant label y (0 = source, 1 = target).
///   - scale: factor applied to the accumulated gradient; the returned loss is not scaled.
///   - count: number of elements (> 0).
/// - Returns: the mean loss (unscaled).
///
/// Spec §4.3 (upstream `bce_loss`, PyTorch `BCEWithLogitsLoss` with reduction mean).
public func bceWithLogitsLoss(gradInput: UnsafeMutablePointer<Float>?,
                              input: UnsafePointer<Float>, target: Float, scale: Float = 1,
                              count: Int) -> Double {
    precondition(count > 0, "BCE of an empty map")
    let y = Double(target)
    let gradScale = Double(scale) / Double(count)
    var total = 0.0
    for i in 0..<count {
        let x = Double(input[i])
        total += Swift.max(x, 0) - x * y + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
        if let g = gradInput {
            let sigma: Double
            if x >= 0 {
                sigma = 1 / (1 + Foundation.exp(-x))
            } else {
                let e = Foundation.exp(x)
                sigma = e / (1 + e)
            }
            g[i] += Float((sigma - y) * gradScale)
        }
    }
    return total / Double(count)
}
