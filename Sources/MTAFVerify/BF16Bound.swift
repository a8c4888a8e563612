// BF16Bound: how far a reference case's expected tensors may move from the FP32 reference when its
// convolutions run with bfloat16 operands (`verify --precision bf16`; the derivation is spec §4.13).

import MTAFNet

/// What `verify` allows an expected tensor under bf16 convolutions, per runner.
public enum BF16Bound: Sendable {
    /// The case has no convolution: the sidecar's FP32 tolerance applies unchanged.
    case unaffected
    /// The case is one convolution: per expected tensor, a bound added to the sidecar's tolerance
    /// (a tensor not listed keeps the sidecar's alone).
    case added([String: Float])
    /// The case chains layers (a model, a training run): deviations compound through them, so no
    /// element bound is derived; the deviation is reported for information only.
    case compound
}

/// The largest deviation from the exact sum of a K-term product Σᵢ xᵢ·yᵢ when both operands are
/// rounded to bf16 and the products summed in FP32 (spec §4.13): (2·u + u² + K·2⁻²⁴)·Σᵢ|xᵢyᵢ|
/// with u = 2⁻⁸, and Σᵢ|xᵢyᵢ| ≤ K·max|x|·max|y|.
///
/// - Parameters:
///   - reduction: K, the number of products summed per output element.
///   - maxX, maxY: the largest magnitudes of the two operands.
/// - Returns: the bound, in the units of the output.
public func bf16ProductBound(reduction: Int, maxX: Float, maxY: Float) -> Float {
    let u = 0x1p-8
    let k = Double(reduction)
    return Float((2 * u + u * u + k * 0x1p-24) * k * Double(maxX) * Double(maxY))
}
