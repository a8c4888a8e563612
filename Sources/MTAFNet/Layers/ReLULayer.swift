// ReLU applied in place to the bottleneck's residual sum (fused with the sum itself), which
// nothing else reads, over `Ops/Activations`. (A ReLU right after a BatchNorm runs inside
// `BatchNorm2dLayer`.) Large tensors run in parallel chunks of whole SIMD blocks.
//
// Sizes: any shape, `count` elements. What the backward needs: the forward's output (a
// reference; relu(x) > 0 ⇔ x > 0), which is the tensor the forward was given.

/// In-place ReLU with an in-place backward (architecture §2.1). Spec §2.1, §2.2 (PyTorch `nn.ReLU(inplace=True)`).
public final class ReLULayer {
    private var savedOutput: Tensor?

    public init() {}

    /// `values = max(values, 0)` in place, or `values = max(values + residual, 0)` with a residual
    /// (the bottleneck's residual sum and ReLU in one pass, with the same float operations).
    ///
    /// - Parameters:
    ///   - values: any shape; overwritten.
    ///   - residual: same shape as `values`, or nil.
    ///   - retain: keep `values` (by reference) for `backward`.
    /// - Returns: `values`.
    @discardableResult
    public func forward(_ values: Tensor, adding residual: Tensor? = nil, retain: Bool) -> Tensor {
        func run(_ v: UnsafeMutableBufferPointer<Float>, _ r: UnsafePointer<Float>?) {
            nonisolated(unsafe) let base = v.baseAddress!, residual = r
            let count = v.count
            ReLULayer.forEachBlock(count: count, work: (r == nil ? 2 : 3) * count) { start, end in
                if let residual {
                    ReLULayer.forwardInPlace(base + start, adding: residual + start, count: end - start)
                } else {
                    ReLULayer.forwardInPlace(base + start, count: end - start)
                }
            }
        }
        values.withUnsafeMutableBufferPointer { v in
            if let residual {
                precondition(residual.shape == values.shape, "ReLULayer: residual \(residual.shape) is not \(values.shape)")
                residual.withUnsafeBufferPointer { run(v, $0.baseAddress!) }
            } else {
                run(v, nil)
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
                nonisolated(unsafe) let g = g.baseAddress!, y = y.baseAddress!
                ReLULayer.forEachBlock(count: gradient.count, work: 3 * gradient.count) { start, end in
                    ReLULayer.backwardInPlace(g + start, output: y + start, count: end - start)
                }
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

    /// Elements per parallel chunk: runs of whole SIMD16 blocks (the last chunk may be shorter).
    private static let chunkElements = 1 << 14

    /// Runs `body(start, end)` over `0..<count` in chunks of `chunkElements`, in parallel when
    /// `work` is large enough.
    private static func forEachBlock(count: Int, work: Int, _ body: (Int, Int) -> Void) {
        parallelFor(chunks: (count + chunkElements - 1) / chunkElements, work: work) { chunks in
            body(chunks.lowerBound * chunkElements, min(chunks.upperBound * chunkElements, count))
        }
    }

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

    /// `values[i] = max(values[i] + residual[i], 0)` for i < count (the sum, then the same select
    /// as `forwardInPlace`).
    static func forwardInPlace(_ values: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>,
                               count: Int) {
        let raw = UnsafeMutableRawPointer(values), r = UnsafeRawPointer(residual)
        var i = 0
        while i + 16 <= count {
            let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
                + r.loadUnaligned(fromByteOffset: 4 * i, as: SIMD16<Float>.self)
            raw.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: 4 * i, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count {
            let v = values[i] + residual[i]
            values[i] = v < 0 ? 0 : v
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
