// The finiteness test every float tensor passes on its way into or out of a safetensors file:
// a checkpoint never holds ±Inf or NaN, so a diverged run cannot leave a snapshot that later
// evaluates to a plausible-looking mIoU or resumes into garbage.

extension SafeTensors {
    /// The first element of `values` that is ±Inf or NaN, with its value; nil when all are finite.
    ///
    /// One pass counts the elements whose exponent bits are all ones (branch-free, so the
    /// compiler vectorizes it); only a failing tensor is searched again for the index.
    static func firstNonFinite(_ values: UnsafeBufferPointer<Float>) -> (index: Int, value: Float)? {
        var hits = 0
        for value in values { hits &+= value.bitPattern & 0x7f80_0000 == 0x7f80_0000 ? 1 : 0 }
        guard hits > 0, let index = values.firstIndex(where: { !$0.isFinite }) else { return nil }
        return (index, values[index])
    }

    /// Throws `SafeTensorsError.nonFinite` for the first tensor (in name order) of `tensors`
    /// that holds ±Inf or NaN.
    ///
    /// - Parameter path: The file the tensors are meant for (named in the error).
    static func checkFinite(_ tensors: [String: Value], path: String) throws(SafeTensorsError) {
        for name in tensors.keys.sorted() {
            guard case let .f32(tensor) = tensors[name]! else { continue }
            if let bad = tensor.withUnsafeBufferPointer({ firstNonFinite($0) }) {
                throw .nonFinite(path: path, tensor: name, element: bad.index, count: tensor.count,
                                 value: "\(bad.value)", writing: true)
            }
        }
    }
}
