// ReLU applied in place (the segmenter always applies it to a fresh BatchNorm output, or to the
// residual sum, that nothing else reads), over `Ops/Activations`.
//
// Sizes: any shape, `count` elements. What the backward needs: the forward's output (a
// reference; relu(x) > 0 ⇔ x > 0), which is the tensor the forward was given.

/// In-place ReLU with an in-place backward (architecture §2.1). Spec §2.1, §2.2 (PyTorch `nn.ReLU(inplace=True)`).
public final class ReLULayer {
    private var savedOutput: Tensor?

    public init() {}

    /// `values = max(values, 0)` in place.
    ///
    /// - Parameters:
    ///   - values: any shape; overwritten.
    ///   - retain: keep `values` (by reference) for `backward`.
    /// - Returns: `values`.
    @discardableResult
    public func forward(_ values: Tensor, retain: Bool) -> Tensor {
        values.withUnsafeMutableBufferPointer { v in
            // One contiguous chunk per BLAS thread, each a multiple of 16 elements but the last.
            nonisolated(unsafe) let base = v.baseAddress!
            let blocks = (v.count + 15) / 16
            parallelChunks(blocks, work: v.count) { range in
                let start = range.lowerBound * 16
                ReLULayer.forwardInPlace(base + start, count: min(range.upperBound * 16, v.count) - start)
            }
        }
        savedOutput = retain ? values : nil
        return values
    }

    /// Turns the output gradient into the input gradient in place: `gradient *= (output > 0)`.
    ///
    /// - Parameters:
    ///   - gradient: same shape as the forward's tensor; overwritten.
    ///   - release: drop the retained output afterwards.
    /// - Returns: `gradient`.
    @discardableResult
    public func backward(_ gradient: Tensor, release: Bool = true) -> Tensor {
        precondition(savedOutput != nil, "ReLULayer: backward without a retained forward")
        let output = savedOutput!
        precondition(gradient.shape == output.shape, "ReLULayer: gradient \(gradient.shape) is not \(output.shape)")
        gradient.withUnsafeMutableBufferPointer { g in
            output.withUnsafeBufferPointer { y in
                ReLULayer.backwardInPlace(g.baseAddress!, output: y.baseAddress!, count: g.count)
            }
        }
        if release { savedOutput = nil }
        return gradient
    }

    /// Drops the retained output without a backward.
    public func releaseActivations() { savedOutput = nil }

    // The two loops below are `reluForwardInPlace` / `reluBackwardDataInPlace` of Ops/Activations
    // (same results, NaN and −0 included) written on SIMD16 lanes with selects: the scalar
    // ternary compiles to a branch that mispredicts on half of the elements (measured: 0.54 s
    // of ReLU in one ResNet-101 training step at 320×640, memory-bound time is ~0.1 s).

    /// `values[i] = values[i] < 0 ? 0 : values[i]` for i < count.
    static func forwardInPlace(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(values)
        var i = 0
        while i + 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            raw.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            if values[i] < 0 { values[i] = 0 }
            i += 1
        }
    }

    /// `gradient[i] = output[i] > 0 ? gradient[i] : 0` for i < count.
    static func backwardInPlace(_ gradient: UnsafeMutablePointer<Float>, output: UnsafePointer<Float>, count: Int) {
        let g = UnsafeMutableRawPointer(gradient), y = UnsafeRawPointer(output)
        var i = 0
        while i + 16 <= count {
            let gv = g.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            let yv = y.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            g.storeBytes(of: gv.replacing(with: 0, where: .!(yv .> 0)), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            if !(output[i] > 0) { gradient[i] = 0 }
            i += 1
        }
    }
}
