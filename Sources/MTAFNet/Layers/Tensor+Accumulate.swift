// In-place accumulation of one tensor into another, for residual sums and gradient sums.
// Sizes: both tensors have `count` elements (shapes must match).

extension Tensor {
    /// `self += other`, elementwise (shapes must be equal).
    func accumulate(_ other: Tensor) {
        precondition(shape == other.shape, "Tensor.accumulate: \(other.shape) into \(shape)")
        withUnsafeMutableBufferPointer { d in
            other.withUnsafeBufferPointer { s in
                let dst = d.baseAddress!, src = s.baseAddress!
                for i in 0..<d.count { dst[i] += src[i] }
            }
        }
    }
}
