// Tests of Ops/Conv2d.swift: the PyTorch fixtures and random cases against a Double reference.

import XCTest
@testable import MTAFNet
import MTAFVerify

final class Conv2dTests: XCTestCase {
    // MARK: Fixtures (PyTorch reference)

    func testFixtureStem7x7s2() { XCTAssertFixturePasses("op_conv_stem_7x7s2") }
    func testFixture1x1s1() { XCTAssertFixturePasses("op_conv_1x1s1") }
    func testFixture1x1s2() { XCTAssertFixturePasses("op_conv_1x1s2") }
    func testFixture3x3d2() { XCTAssertFixturePasses("op_conv_3x3d2") }
    func testFixture3x3d6SmallMap() { XCTAssertFixturePasses("op_conv_3x3d6_small_map") }
    func testFixture3x3d24SmallMap() { XCTAssertFixturePasses("op_conv_3x3d24_small_map") }
    func testFixtureDisc4x4s2() { XCTAssertFixturePasses("op_conv_disc_4x4s2") }

    func testEveryConvFixtureIsCovered() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixturesDirectory.path)
            .filter { $0.hasPrefix("op_conv_") && $0.hasSuffix(".json") }
        XCTAssertEqual(names.count, 7, "a new op_conv_* fixture needs its own test: \(names.sorted())")
    }

    func testRunnerHandlesOnlyConv2d() throws {
        XCTAssertTrue(Conv2dFixtureRunner.handles(try loadFixture("op_conv_1x1s1")))
        XCTAssertFalse(Conv2dFixtureRunner.handles(try loadFixture("op_relu")))
    }

    // MARK: Random cases against the Double reference

    func testOddSizes3x3() {
        check(Conv2dGeometry(inChannels: 3, outChannels: 5, kernel: 3, padding: 1), batch: 1, height: 7, width: 9, bias: true)
    }

    func testStride2() {
        check(Conv2dGeometry(inChannels: 4, outChannels: 6, kernel: 3, stride: 2, padding: 1), batch: 2, height: 11, width: 13, bias: false)
    }

    func testDilation3() {
        check(Conv2dGeometry(inChannels: 3, outChannels: 4, kernel: 3, padding: 3, dilation: 3), batch: 2, height: 10, width: 12, bias: true)
    }

    func testPaddingLargerThanMap() {
        check(Conv2dGeometry(inChannels: 3, outChannels: 7, kernel: 3, padding: 24, dilation: 24), batch: 2, height: 5, width: 9, bias: true)
    }

    func testPointwiseBatch2() {
        check(Conv2dGeometry(inChannels: 6, outChannels: 5, kernel: 1), batch: 2, height: 7, width: 5, bias: false)
    }

    func testPointwiseStride2OddMap() {
        check(Conv2dGeometry(inChannels: 5, outChannels: 3, kernel: 1, stride: 2), batch: 2, height: 9, width: 7, bias: true)
    }

    func testDiscriminator4x4s2() {
        check(Conv2dGeometry(inChannels: 3, outChannels: 4, kernel: 4, stride: 2, padding: 1), batch: 2, height: 9, width: 14, bias: true)
    }

    func testStem7x7s2() {
        check(Conv2dGeometry(inChannels: 3, outChannels: 4, kernel: 7, stride: 2, padding: 3), batch: 1, height: 13, width: 17, bias: false)
    }

    func testNonSquareParameters() {
        check(Conv2dGeometry(inChannels: 2, outChannels: 3, kernelH: 3, kernelW: 2, strideH: 1, strideW: 3,
                             padH: 2, padW: 1, dilationH: 2, dilationW: 1), batch: 2, height: 8, width: 11, bias: true)
    }

    /// Large enough (K·P ≥ 2¹⁵) for im2col/col2im to split across threads.
    func testParallelIm2col() {
        check(Conv2dGeometry(inChannels: 16, outChannels: 8, kernel: 3, stride: 1, padding: 2, dilation: 2), batch: 2, height: 37, width: 41, bias: true)
    }

    /// Tiny im2col blocks: every op runs over several blocks of output rows (one row, then three).
    func testBlockedColumns() {
        for minColumns in [1, 20] {
            let workspace = ConvWorkspace()
            workspace.columnBlockFloats = 1
            workspace.columnBlockMinColumns = minColumns
            check(Conv2dGeometry(inChannels: 3, outChannels: 5, kernel: 3, stride: 2, padding: 2, dilation: 2),
                  batch: 2, height: 13, width: 14, bias: true, workspace: workspace)
            check(Conv2dGeometry(inChannels: 4, outChannels: 3, kernel: 3, padding: 1),
                  batch: 1, height: 9, width: 7, bias: false, workspace: workspace)
        }
    }

    func testOutputSizeMatchesPyTorch() {
        let stem = Conv2dGeometry(inChannels: 3, outChannels: 64, kernel: 7, stride: 2, padding: 3)
        XCTAssertEqual(stem.outputHeight(320), 160)
        XCTAssertEqual(stem.outputWidth(640), 320)
        let down = Conv2dGeometry(inChannels: 256, outChannels: 128, kernel: 1, stride: 2)
        XCTAssertEqual(down.outputHeight(81), 41)
        XCTAssertEqual(down.outputWidth(161), 81)
        let disc = Conv2dGeometry(inChannels: 7, outChannels: 64, kernel: 4, stride: 2, padding: 1)
        XCTAssertEqual(disc.outputHeight(33), 16)
        XCTAssertEqual(disc.outputWidth(65), 32)
    }

    /// Runs all three ops on random data, checks them against the Double reference, and checks
    /// that the gradients accumulate into pre-filled buffers.
    private func check(_ g: Conv2dGeometry, batch n: Int, height h: Int, width w: Int, bias: Bool,
                       workspace: ConvWorkspace = ConvWorkspace(),
                       file: StaticString = #filePath, line: UInt = #line) {
        var rng = RandomStream(seed: UInt64(g.columnRows * 1000 + h * 10 + w))
        let ho = g.outputHeight(h), wo = g.outputWidth(w)
        let x = rng.floats(n * g.inChannels * h * w)
        let wt = rng.floats(g.weightCount)
        let b = bias ? rng.floats(g.outChannels) : nil
        let gy = rng.floats(n * g.outChannels * ho * wo)
        let prior: Float = 0.5
        var y = [Float](repeating: .nan, count: gy.count)
        var gx = [Float](repeating: prior, count: x.count)
        var gw = [Float](repeating: prior, count: wt.count)
        var gb = [Float](repeating: prior, count: g.outChannels)
        x.withUnsafeBufferPointer { xp in
        wt.withUnsafeBufferPointer { wp in
        gy.withUnsafeBufferPointer { gyp in
            y.withUnsafeMutableBufferPointer { yp in
                if let b {
                    b.withUnsafeBufferPointer { bp in
                        conv2dForward(output: yp.baseAddress!, input: xp.baseAddress!, weight: wp.baseAddress!,
                                      bias: bp.baseAddress!, workspace: workspace,
                                      geometry: g, batch: n, height: h, width: w)
                    }
                } else {
                    conv2dForward(output: yp.baseAddress!, input: xp.baseAddress!, weight: wp.baseAddress!,
                                  bias: nil, workspace: workspace, geometry: g, batch: n, height: h, width: w)
                }
            }
            gx.withUnsafeMutableBufferPointer { p in
                conv2dBackwardData(gradInput: p.baseAddress!, gradOutput: gyp.baseAddress!, weight: wp.baseAddress!,
                                   workspace: workspace, geometry: g, batch: n, height: h, width: w)
            }
            gw.withUnsafeMutableBufferPointer { p in
            gb.withUnsafeMutableBufferPointer { q in
                conv2dBackwardWeight(gradWeight: p.baseAddress!, gradBias: bias ? q.baseAddress! : nil,
                                     input: xp.baseAddress!, gradOutput: gyp.baseAddress!,
                                     workspace: workspace, geometry: g, batch: n, height: h, width: w)
            }
            }
        }
        }
        }
        let ref = naiveConv2dForward(input: x, weight: wt, bias: b, g, batch: n, height: h, width: w)
        let (rx, rw, rb) = naiveConv2dBackward(input: x, weight: wt, gradOut: gy, g, batch: n, height: h, width: w)
        let shift = Double(prior)
        assertClose(y, ref, "output", g, file: file, line: line)
        assertClose(gx, rx.map { $0 + shift }, "grad_input", g, file: file, line: line)
        assertClose(gw, rw.map { $0 + shift }, "grad_weight", g, file: file, line: line)
        assertClose(gb, bias ? rb.map { $0 + shift } : [Double](repeating: shift, count: g.outChannels),
                    "grad_bias", g, file: file, line: line)
    }

    private func assertClose(_ a: [Float], _ b: [Double], _ what: String, _ g: Conv2dGeometry,
                             file: StaticString, line: UInt) {
        let (d, s) = maxDiff(a, b)
        XCTAssertLessThanOrEqual(d, 1e-5 * max(1, s), "\(g) \(what): max abs diff \(d) (max |ref| \(s))",
                                 file: file, line: line)
    }
}
