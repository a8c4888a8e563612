// Tests of Ops/BLAS.swift's own AVX-512 path (Sources/CGEMM) against a Double reference, forced
// for every shape with `sgemm(path: .own, ...)`; skipped on a CPU without AVX-512.

import XCTest
@testable import MTAFNet

final class GEMMTests: XCTestCase {
    /// One GEMM case: op(A) m × k, op(B) k × n, leading dimensions `pad` larger than needed.
    struct Case: CustomStringConvertible {
        var transA: Bool, transB: Bool
        var m: Int, n: Int, k: Int
        var alpha: Float, beta: Float
        var pad = 0
        var description: String {
            "transA=\(transA) transB=\(transB) m=\(m) n=\(n) k=\(k) alpha=\(alpha) beta=\(beta) pad=\(pad)"
        }
    }

    override func setUpWithError() throws {
        try XCTSkipUnless(ownGEMMAvailable, "this CPU has no AVX-512: the own GEMM path is never used")
    }

    func testAllTransposesAwkwardSizes() {
        // 1, primes, and sizes around MR = 14, NR = 32 and KC = 256 (the C file's blocking).
        let sizes = [1, 2, 13, 14, 15, 31, 32, 33, 47, 97]
        var rng = LCG(seed: 11)
        for transA in [false, true] {
            for transB in [false, true] {
                for i in 0..<40 {
                    let c = Case(transA: transA, transB: transB,
                                 m: sizes[rng.below(sizes.count)], n: sizes[rng.below(sizes.count)],
                                 k: i % 8 == 0 ? 1 + rng.below(600) : sizes[rng.below(sizes.count)],
                                 alpha: [1, 0.5, -1.25][i % 3], beta: [0, 1, -0.75, 2][i % 4], pad: i % 2 * 3)
                    check(c)
                }
            }
        }
    }

    func testKAcrossSeveralBlocks() {
        // k = 257 and 1000: several packed k blocks, the later ones accumulating with beta 1.
        for (transA, transB) in [(false, false), (true, false), (false, true), (true, true)] {
            check(Case(transA: transA, transB: transB, m: 29, n: 70, k: 257, alpha: 1, beta: 0.5, pad: 1))
            check(Case(transA: transA, transB: transB, m: 16, n: 33, k: 1000, alpha: 1, beta: 0))
        }
    }

    func testLargeBlocksSeveralThreads() {
        // Several MC and NC blocks, split over threads along n (n ≥ m) and along m (m > n).
        let saved = blasThreads
        defer { setBLASThreads(saved) }
        for threads in [1, 2, 3] {
            setBLASThreads(threads)
            check(Case(transA: false, transB: false, m: 190, n: 3200, k: 40, alpha: 1, beta: 0))
            check(Case(transA: true, transB: true, m: 400, n: 45, k: 300, alpha: -0.5, beta: 1, pad: 5))
            check(Case(transA: false, transB: true, m: 61, n: 129, k: 700, alpha: 1, beta: 0, pad: 2))
        }
    }

    /// Shapes whose plans on 2-16 threads use row groups that share a packed B block (barriers)
    /// and several column groups: correct against the Double reference, and bit-identical to one
    /// thread (k is never split, so every entry is summed in the same order).
    func testTwoDimensionalPartitionAtOneToSixteenThreads() {
        let saved = blasThreads
        defer { setBLASThreads(saved) }
        let cases = [
            Case(transA: false, transB: false, m: 300, n: 700, k: 300, alpha: 1, beta: 0),
            Case(transA: true, transB: false, m: 64, n: 3000, k: 200, alpha: 1, beta: 1, pad: 3),
            Case(transA: false, transB: true, m: 200, n: 150, k: 1000, alpha: -0.5, beta: 0.5),
            Case(transA: true, transB: true, m: 1100, n: 90, k: 520, alpha: 1, beta: 0, pad: 1),
        ]
        var grids = Set<String>()
        for c in cases {
            setBLASThreads(1)
            let reference = product(c)
            for threads in 2...16 {
                setBLASThreads(threads)
                let plan = GEMMShape(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k).partition(threads: threads)
                grids.insert("\(plan.rowWays)x\(plan.columnWays)")
                if threads % 5 == 1 { check(c) }
                let out = product(c)
                if let i = (0..<out.count).first(where: { out[$0].bitPattern != reference[$0].bitPattern }) {
                    XCTFail("\(c) on \(threads) threads differs from one thread at \(i): \(out[i]) vs \(reference[i])")
                }
            }
        }
        // The cases reach grids with several rows per group and several groups.
        XCTAssertTrue(grids.contains { $0.split(separator: "x").allSatisfy { Int($0)! > 1 } }, "grids: \(grids)")
    }

    func testBetaZeroIgnoresNaNInC() {
        for (transA, transB) in [(false, false), (true, true)] {
            check(Case(transA: transA, transB: transB, m: 17, n: 35, k: 9, alpha: 1, beta: 0), fill: .nan)
        }
    }

    func testKZeroScalesC() {
        check(Case(transA: false, transB: false, m: 5, n: 40, k: 0, alpha: 1, beta: 0.5, pad: 2))
        check(Case(transA: true, transB: false, m: 5, n: 40, k: 0, alpha: 1, beta: 0), fill: .nan)
        check(Case(transA: false, transB: true, m: 3, n: 7, k: 0, alpha: 1, beta: 1))
    }

    func testAutoPathMatchesOpenBLAS() {
        // Whatever `auto` picks for a conv-like shape, it agrees with OpenBLAS to rounding.
        let m = 64, n = 300, k = 288
        var rng = LCG(seed: 3)
        let a = (0..<(m * k)).map { _ in rng.uniform() }, b = (0..<(k * n)).map { _ in rng.uniform() }
        func product(_ path: GEMMPath) -> [Float] {
            var c = [Float](repeating: .nan, count: m * n)
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        sgemm(path: path, transA: false, transB: false, m: m, n: n, k: k, alpha: 1,
                              a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                              beta: 0, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
            return c
        }
        let auto = product(.auto), reference = product(.openblas)
        // Each entry sums k products of values in [-1, 1): each rounding error is at most k·ε.
        let tolerance = Float(k) * Float(k) * Float.ulpOfOne
        for i in 0..<(m * n) where !(abs(auto[i] - reference[i]) <= tolerance) {
            XCTFail("auto vs openblas at \(i): \(auto[i]) vs \(reference[i])")
            return
        }
    }

    // MARK: Helpers

    /// The operands of `c` (seeded from its sizes) and C after the own path ran on the current
    /// thread count: `c0` is C before (`fill`, or random values).
    private struct Run {
        var lda: Int, ldb: Int, ldc: Int
        var a: [Float], b: [Float], c0: [Float], out: [Float]
    }

    private func run(_ c: Case, fill: Float? = nil) -> Run {
        var rng = LCG(seed: UInt32(truncatingIfNeeded: c.m &* 31 &+ c.n &* 7 &+ c.k))
        let lda = max(1, c.transA ? c.m : c.k) + c.pad, ldb = max(1, c.transB ? c.k : c.n) + c.pad
        let ldc = c.n + c.pad
        let a = (0..<(max(1, c.transA ? c.k : c.m) * lda)).map { _ in rng.uniform() }
        let b = (0..<(max(1, c.transB ? c.n : c.k) * ldb)).map { _ in rng.uniform() }
        let c0 = (0..<(c.m * ldc)).map { _ in fill ?? rng.uniform() }
        var out = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    sgemm(path: .own, transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k,
                          alpha: c.alpha, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                          beta: c.beta, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        return Run(lda: lda, ldb: ldb, ldc: ldc, a: a, b: b, c0: c0, out: out)
    }

    /// C of `c` through the own path on the current thread count.
    private func product(_ c: Case) -> [Float] { run(c).out }

    /// Runs `c` through the own path and compares every entry of C (and the padding past n in each
    /// row of C, which must stay untouched) with a Double reference. The bound per entry is
    /// (k + 2)·ε·(|alpha|·Σₚ|aᵢₚ·bₚⱼ| + |beta·cᵢⱼ|), ε = 2⁻²³.
    private func check(_ c: Case, fill: Float? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let r = run(c, fill: fill)
        let (lda, ldb, ldc, a, b, c0, out) = (r.lda, r.ldb, r.ldc, r.a, r.b, r.c0, r.out)
        for i in 0..<c.m {
            for j in 0..<ldc {
                let index = i * ldc + j
                if j >= c.n {
                    if out[index].bitPattern != c0[index].bitPattern {
                        XCTFail("\(c): padding C[\(i)][\(j)] changed", file: file, line: line)
                        return
                    }
                    continue
                }
                var sum = 0.0, magnitude = 0.0
                for p in 0..<c.k {
                    let x = Double(c.transA ? a[p * lda + i] : a[i * lda + p])
                    let y = Double(c.transB ? b[j * ldb + p] : b[p * ldb + j])
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let prior = c.beta == 0 ? 0 : Double(c.beta) * Double(c0[index])
                let expected = Double(c.alpha) * sum + prior
                let tolerance = Double(c.k + 2) * Double(Float.ulpOfOne)
                    * (abs(Double(c.alpha)) * magnitude + abs(prior)) + 1e-30
                let got = Double(out[index])
                if !(abs(got - expected) <= tolerance) {
                    XCTFail("\(c): C[\(i)][\(j)] = \(got), expected \(expected) (tolerance \(tolerance))",
                            file: file, line: line)
                    return
                }
            }
        }
    }

    /// A small deterministic generator of values in [-1, 1).
    struct LCG {
        var state: UInt32
        init(seed: UInt32) { state = seed &* 2_654_435_761 | 1 }
        mutating func next() -> UInt32 {
            state = state &* 1_664_525 &+ 1_013_904_223
            return state
        }
        mutating func uniform() -> Float { Float(next() >> 8) / Float(1 << 23) - 1 }
        mutating func below(_ bound: Int) -> Int { Int(next() >> 8) % bound }
    }
}
