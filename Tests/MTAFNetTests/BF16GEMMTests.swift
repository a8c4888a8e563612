// Tests of the bf16 GEMM (`bf16gemm`, Sources/CGEMM/cgemm_bf16.c) against a Double reference
// computed from bf16-rounded operands, of the convolutions taking it under
// `ConvolutionPrecision`, and of how a precision request resolves (also on a CPU without
// AVX512-BF16, played through `resolve`'s parameter and `MTAF_GEMM_BF16`). The kernel tests are
// skipped on a CPU without AVX512-BF16; the resolution tests run everywhere.

import XCTest
@testable import MTAFNet
import MTAFVerify

final class BF16GEMMTests: XCTestCase {
    typealias Case = GEMMTests.Case

    override func tearDown() {
        ConvolutionPrecision.set(.fp32)
    }

    private func requireBF16() throws {
        try XCTSkipUnless(bf16GEMMAvailable, "bf16 GEMM unavailable: \(bf16UnavailableReason)")
    }

    // MARK: The kernel

    func testAllTransposesAwkwardSizesAgainstRoundedReference() throws {
        try requireBF16()
        // Edge tiles (MR = 14, NR = 32), odd k (a zero-padded last pair), k across several KC_BF16
        // = 512 blocks, and every transpose.
        let sizes = [1, 2, 13, 14, 15, 31, 32, 33, 47, 97]
        var rng = GEMMTests.LCG(seed: 23)
        for transA in [false, true] {
            for transB in [false, true] {
                for i in 0..<30 {
                    let c = Case(transA: transA, transB: transB,
                                 m: sizes[rng.below(sizes.count)], n: sizes[rng.below(sizes.count)],
                                 k: i % 6 == 0 ? 1 + rng.below(1200) : sizes[rng.below(sizes.count)],
                                 alpha: [1, 0.5, -1.25][i % 3], beta: [0, 1, -0.75, 2][i % 4], pad: i % 2 * 3)
                    check(c)
                }
            }
        }
    }

    func testConvolutionLayoutsOddAndBlockedK() throws {
        try requireBF16()
        // The three convolution products (forward NN, input gradient TN, weight gradient NT) with
        // odd k and k over several blocks; NaN in C with beta 0 is ignored.
        check(Case(transA: false, transB: false, m: 64, n: 300, k: 577, alpha: 1, beta: 0), fill: .nan)
        check(Case(transA: true, transB: false, m: 577, n: 130, k: 63, alpha: 1, beta: 1))
        check(Case(transA: false, transB: true, m: 63, n: 145, k: 1053, alpha: 1, beta: 1, pad: 2))
        check(Case(transA: false, transB: false, m: 5, n: 40, k: 0, alpha: 1, beta: 0.5, pad: 2))
    }

    /// Bit-identical on 1, 2 and 7 threads (k is never split), and correct on each.
    func testOneTwoSevenThreadsBitIdentical() throws {
        try requireBF16()
        let saved = blasThreads
        defer { setBLASThreads(saved) }
        let cases = [
            Case(transA: false, transB: false, m: 300, n: 700, k: 301, alpha: 1, beta: 0),
            Case(transA: true, transB: false, m: 576, n: 1053, k: 64, alpha: 1, beta: 1, pad: 3),
            Case(transA: false, transB: true, m: 200, n: 576, k: 1053, alpha: 1, beta: 1),
        ]
        for c in cases {
            setBLASThreads(1)
            let reference = run(c).out
            for threads in [2, 7] {
                setBLASThreads(threads)
                if threads == 7 && c.k == 301 { check(c) }  // one reference: the Double loop is slow in debug
                let out = run(c).out
                if let i = (0..<out.count).first(where: { out[$0].bitPattern != reference[$0].bitPattern }) {
                    XCTFail("\(c) on \(threads) threads differs from one thread at \(i): \(out[i]) vs \(reference[i])")
                }
            }
        }
    }

    /// Operands are rounded to nearest, ties to even: 1 + 3·2⁻⁹ (0.75 ulp of bf16 above 1) → 1 + 2⁻⁷,
    /// 1 + 2⁻⁸ (a tie) → 1, 1 + 3·2⁻⁸ (a tie) → 1 + 2⁻⁶, 1 + 2⁻¹⁰ → 1.
    func testOperandsRoundToNearestEven() throws {
        try requireBF16()
        let cases: [(Float, Float)] = [(1 + 3 / 512, 1 + 1 / 128), (1 + 1 / 256, 1), (1 + 3 / 256, 1 + 1 / 64),
                                       (1 + 1 / 1024, 1)]
        for (x, expected) in cases {
            for transpose in [false, true] {
                // x in op(A) times 1 in op(B), and 1 in op(A) times x in op(B).
                XCTAssertEqual(product1x1(x, 1, transpose: transpose), expected, "\(x) in A")
                XCTAssertEqual(product1x1(1, x, transpose: transpose), expected, "\(x) in B")
            }
        }
    }

    /// Under `ConvolutionPrecision` bf16 a convolution's three GEMMs really run in bf16: a weight
    /// 1 + 2⁻¹⁰ reads as 1 (FP32 keeps it), for the forward, the input and the weight gradient.
    func testConvolutionsTakeTheBF16Path() throws {
        try requireBF16()
        let g = Conv2dGeometry(inChannels: 1, outChannels: 1, kernel: 1, stride: 1, padding: 0, dilation: 1)
        let odd: Float = 1 + 1 / 1024
        func passes() -> (forward: Float, data: Float, weight: Float) {
            let workspace = ConvWorkspace()
            var y: Float = 0, gx: Float = 0, gw: Float = 0
            var x: Float = 1, w: Float = odd, gy: Float = odd
            conv2dForward(output: &y, input: &x, weight: &w, bias: nil, workspace: workspace,
                          geometry: g, batch: 1, height: 1, width: 1)
            conv2dBackwardData(gradInput: &gx, gradOutput: &gy, weight: &w, workspace: workspace,
                               geometry: g, batch: 1, height: 1, width: 1)
            conv2dBackwardWeight(gradWeight: &gw, gradBias: nil, input: &x, gradOutput: &gy, workspace: workspace,
                                 geometry: g, batch: 1, height: 1, width: 1)
            return (y, gx, gw)
        }
        ConvolutionPrecision.set(.fp32)
        let fp32 = passes()
        XCTAssertEqual([fp32.forward, fp32.data, fp32.weight], [odd, odd * odd, odd])
        ConvolutionPrecision.set(.bf16)
        let bf16 = passes()
        XCTAssertEqual([bf16.forward, bf16.data, bf16.weight], [1, 1, 1])
    }

    /// `verify` under bf16: every convolution reference case passes with its tolerance grown by
    /// the derived bound (spec §4.13), while its output moves beyond the FP32 tolerance alone (so
    /// the bf16 path ran); a case without convolutions keeps its tolerance and passes; a model
    /// case is informational.
    func testVerifyUnderBF16() throws {
        try requireBF16()
        ConvolutionPrecision.set(.bf16)
        let names = try FileManager.default.contentsOfDirectory(atPath: fixturesDirectory.path)
            .filter { $0.hasPrefix("op_conv_") && $0.hasSuffix(".safetensors") }
            .map { String($0.dropLast(".safetensors".count)) }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 5)
        for name in names {
            let fixture = try loadFixture(name)
            let report = verify(fixture)
            XCTAssertTrue(report.passed, "\(report)")
            let output = try XCTUnwrap(report.tensors.first { $0.name == "expected.output" })
            XCTAssertGreaterThan(output.maxAbsError, Double(try fixture.tolerance(for: "expected.output")), name)
        }
        let relu = verify(try loadFixture("op_relu"))
        XCTAssertTrue(relu.passed && relu.tensors.allSatisfy { !$0.informational }, "\(relu)")
        let discriminator = verify(try loadFixture("model_discriminator_ndf8"))
        XCTAssertTrue(discriminator.passed && discriminator.tensors.allSatisfy(\.informational), "\(discriminator)")
    }

    // MARK: Resolving a request

    func testResolutionFollowsAMPAndTheOption() throws {
        let on = try ConvolutionPrecision.resolve(requested: nil, amp: true, ampKey: "TRAIN.AMP", bf16Available: true)
        XCTAssertEqual(on.precision, .bf16)
        XCTAssertEqual(on.isWarning, false)
        XCTAssertTrue(on.note?.hasPrefix("TRAIN.AMP: True") ?? false, "\(on)")
        let off = try ConvolutionPrecision.resolve(requested: nil, amp: false, ampKey: "TRAIN.AMP", bf16Available: true)
        XCTAssertEqual(off, .init(precision: .fp32, note: nil))
        let overridden = try ConvolutionPrecision.resolve(requested: .fp32, amp: true, ampKey: "TEST.AMP", bf16Available: true)
        XCTAssertEqual(overridden.precision, .fp32)
        XCTAssertNotNil(overridden.note)
        let asked = try ConvolutionPrecision.resolve(requested: .bf16, amp: false, ampKey: "TEST.AMP", bf16Available: true)
        XCTAssertEqual(asked.precision, .bf16)
    }

    /// On a CPU without AVX512-BF16 AMP falls back to FP32 with one warning; an explicit
    /// `--precision bf16` fails.
    func testFallbackWithoutBF16() throws {
        let fallback = try ConvolutionPrecision.resolve(requested: nil, amp: true, ampKey: "TRAIN.AMP",
                                                        bf16Available: false, unavailableReason: "no bf16 here")
        XCTAssertEqual(fallback.precision, .fp32)
        XCTAssertTrue(fallback.isWarning)
        XCTAssertTrue(fallback.note?.contains("no bf16 here") ?? false, "\(fallback)")
        XCTAssertThrowsError(try ConvolutionPrecision.resolve(requested: .bf16, amp: true, ampKey: "TRAIN.AMP",
                                                              bf16Available: false, unavailableReason: "no bf16 here")) {
            XCTAssertEqual($0 as? PrecisionError, .bf16Unavailable(reason: "no bf16 here"))
        }
        let plain = try ConvolutionPrecision.resolve(requested: .fp32, amp: false, ampKey: "TRAIN.AMP", bf16Available: false)
        XCTAssertEqual(plain.precision, .fp32)
        XCTAssertNil(plain.note)
        XCTAssertTrue(bf16DisabledByEnvironment(["MTAF_GEMM_BF16": "off"]))
        XCTAssertTrue(bf16DisabledByEnvironment(["MTAF_GEMM_BF16": "OFF"]))
        XCTAssertFalse(bf16DisabledByEnvironment(["MTAF_GEMM_BF16": "auto"]))
        XCTAssertFalse(bf16DisabledByEnvironment([:]))
    }

    /// The process starts in FP32: with AMP off nothing changes (the PyTorch fixtures' runs).
    func testDefaultIsFP32() {
        ConvolutionPrecision.set(.fp32)
        XCTAssertEqual(ConvolutionPrecision.current, .fp32)
        XCTAssertFalse(MTAFConfig().train.amp)
        XCTAssertFalse(MTAFConfig().test.amp)
    }

    // MARK: Helpers

    /// op(A) · op(B) for 1 × 1 operands through `bf16gemm` (leading dimension 1 either way).
    private func product1x1(_ x: Float, _ y: Float, transpose: Bool) -> Float {
        var a = x, b = y, c: Float = .nan
        bf16gemm(transA: transpose, transB: transpose, m: 1, n: 1, k: 1, alpha: 1, a: &a, lda: 1,
                 b: &b, ldb: 1, beta: 0, c: &c, ldc: 1)
        return c
    }

    /// `x` rounded to bfloat16 (nearest, ties to even), as a Float; finite inputs.
    static func bf16Rounded(_ x: Float) -> Float {
        let bits = x.bitPattern
        let rounded = (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) & 0xFFFF_0000
        return Float(bitPattern: rounded)
    }

    private struct Run {
        var lda: Int, ldb: Int, ldc: Int
        var a: [Float], b: [Float], c0: [Float], out: [Float]
    }

    /// The operands of `c` (seeded from its sizes) and C after `bf16gemm` on the current threads.
    private func run(_ c: Case, fill: Float? = nil) -> Run {
        var rng = GEMMTests.LCG(seed: UInt32(truncatingIfNeeded: c.m &* 37 &+ c.n &* 11 &+ c.k))
        let lda = max(1, c.transA ? c.m : c.k) + c.pad, ldb = max(1, c.transB ? c.k : c.n) + c.pad
        let ldc = c.n + c.pad
        let a = (0..<(max(1, c.transA ? c.k : c.m) * lda)).map { _ in rng.uniform() }
        let b = (0..<(max(1, c.transB ? c.n : c.k) * ldb)).map { _ in rng.uniform() }
        let c0 = (0..<(c.m * ldc)).map { _ in fill ?? rng.uniform() }
        var out = c0
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    bf16gemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k,
                             alpha: c.alpha, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                             beta: c.beta, c: pc.baseAddress!, ldc: ldc)
                }
            }
        }
        return Run(lda: lda, ldb: ldb, ldc: ldc, a: a, b: b, c0: c0, out: out)
    }

    /// Compares every entry of C with a Double reference over the bf16-rounded operands (the
    /// products of two bf16 values are exact; the FP32 sums round), and checks that C's padding
    /// is untouched. Bound per entry: (k + 2)·ε·(|alpha|·Σₚ|aᵢₚ·bₚⱼ| + |beta·cᵢⱼ|), ε = 2⁻²³.
    private func check(_ c: Case, fill: Float? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let r = run(c, fill: fill)
        for i in 0..<c.m {
            for j in 0..<r.ldc {
                let index = i * r.ldc + j
                if j >= c.n {
                    if r.out[index].bitPattern != r.c0[index].bitPattern {
                        XCTFail("\(c): padding C[\(i)][\(j)] changed", file: file, line: line)
                        return
                    }
                    continue
                }
                var sum = 0.0, magnitude = 0.0
                for p in 0..<c.k {
                    let x = Double(Self.bf16Rounded(c.transA ? r.a[p * r.lda + i] : r.a[i * r.lda + p]))
                    let y = Double(Self.bf16Rounded(c.transB ? r.b[j * r.ldb + p] : r.b[p * r.ldb + j]))
                    sum += x * y
                    magnitude += abs(x * y)
                }
                let prior = c.beta == 0 ? 0 : Double(c.beta) * Double(r.c0[index])
                let expected = Double(c.alpha) * sum + prior
                let tolerance = Double(c.k + 2) * Double(Float.ulpOfOne)
                    * (abs(Double(c.alpha)) * magnitude + abs(prior)) + 1e-30
                let got = Double(r.out[index])
                if !(abs(got - expected) <= tolerance) {
                    XCTFail("\(c): C[\(i)][\(j)] = \(got), expected \(expected) (tolerance \(tolerance))",
                            file: file, line: line)
                    return
                }
            }
        }
    }
}
