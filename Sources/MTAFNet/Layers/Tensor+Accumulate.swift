// In-place accumulation of one tensor into another, for residual sums and gradient sums.
// Sizes: both tensors have `count` elements (shapes must match).

extension Tensor {
    /// `self += other`, elementwise (shapes must be equal); large tensors in parallel (each element
    /// is its own chunk, so the result is the same for any thread count).
    func accumulate(_ other: Tensor) {
        precondition(shape == other.shape, "Tensor.accumulate: \(other.shape) into \(shape)")
        withUnsafeMutableBufferPointer { d in
            other.withUnsafeBufferPointer { s in
                nonisolated(unsafe) let dst = d.baseAddress!, src = s.baseAddress!
                parallelFor(chunks: d.count, work: 2 * d.count) { range in
                    for i in range { dst[i] += src[i] }
                }
            }
        }
    }
}
