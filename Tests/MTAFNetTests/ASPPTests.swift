// Tests of Ops/ASPP.swift: the restructured classifier against the sum of its plain convolutions.

import XCTest
@testable import MTAFNet

final class ASPPTests: XCTestCase {
    func testUpstreamDilationsOnMapSmallerThanDilations() {
        check(ASPPGeometry(inChannels: 6, classes: 7), batch: 2, height: 9, width: 11)
    }

    func testUpstreamDilationsOnLargerMap() {
        check(ASPPGeometry(inChannels: 5, classes: 3), batch: 1, height: 31, width: 45)
    }

    func testEveryOffCentreTapDropped() {
        check(ASPPGeometry(inChannels: 4, classes: 2), batch: 2, height: 5, width: 6)
    }

    func testRepeatedDilationsMergeTaps() {
        check(ASPPGeometry(inChannels: 3, classes: 4, dilations: [2, 2, 5]), batch: 2, height: 8, width: 13)
    }

    func testWideInputParallelSizes() {
        check(ASPPGeometry(inChannels: 64, classes: 7), batch: 1, height: 41, width: 81)
    }

    /// ASPP forward and gradients == Σ of the B plain convolutions (and gradients accumulate).
    private func check(_ geometry: ASPPGeometry, batch n: Int, height h: Int, width w: Int,
                       file: StaticString = #filePath, line: UInt = #line) {
        let bcount = geometry.branches, c = geometry.classes, cin = geometry.inChannels
        var rng = RandomStream(seed: UInt64(cin * 100 + h * w))
        let x = rng.floats(n * cin * h * w)
        let gy = rng.floats(n * c * h * w)
        let ws = (0..<bcount).map { _ in rng.floats(c * cin * 9) }
        let bs = (0..<bcount).map { _ in rng.floats(c) }
        let workspace = ConvWorkspace()
        let prior: Float = 0.25

        // Reference: B plain convolutions through conv2d*, summed.
        var refY = [Float](repeating: 0, count: n * c * h * w)
        var refGx = [Float](repeating: prior, count: x.count)
        var refGw = (0..<bcount).map { _ in [Float](repeating: prior, count: c * cin * 9) }
        var refGb = (0..<bcount).map { _ in [Float](repeating: prior, count: c) }
        for b in 0..<bcount {
            let g = geometry.branch(b)
            var yb = [Float](repeating: 0, count: refY.count)
            x.withUnsafeBufferPointer { xp in
            ws[b].withUnsafeBufferPointer { wp in
            bs[b].withUnsafeBufferPointer { bp in
            gy.withUnsafeBufferPointer { gyp in
                yb.withUnsafeMutableBufferPointer { yp in
                    conv2dForward(output: yp.baseAddress!, input: xp.baseAddress!, weight: wp.baseAddress!,
                                  bias: bp.baseAddress!, workspace: workspace, geometry: g, batch: n, height: h, width: w)
                }
                refGx.withUnsafeMutableBufferPointer { p in
                    conv2dBackwardData(gradInput: p.baseAddress!, gradOutput: gyp.baseAddress!, weight: wp.baseAddress!,
                                       workspace: workspace, geometry: g, batch: n, height: h, width: w)
                }
                refGw[b].withUnsafeMutableBufferPointer { p in
                refGb[b].withUnsafeMutableBufferPointer { q in
                    conv2dBackwardWeight(gradWeight: p.baseAddress!, gradBias: q.baseAddress!, input: xp.baseAddress!,
                                         gradOutput: gyp.baseAddress!, workspace: workspace,
                                         geometry: g, batch: n, height: h, width: w)
                }
                }
            }
            }
            }
            }
            for i in 0..<refY.count { refY[i] += yb[i] }
        }

        // ASPP, on manually allocated buffers (B separate weight and gradient tensors).
        let wps = ws.map { UnsafePointer(allocated($0)) }
        let bps = bs.map { UnsafePointer(allocated($0)) }
        let gwps = (0..<bcount).map { _ in allocated([Float](repeating: prior, count: c * cin * 9)) }
        let gbps = (0..<bcount).map { _ in allocated([Float](repeating: prior, count: c)) }
        defer {
            for p in wps + bps { p.deallocate() }
            for p in gwps + gbps { p.deallocate() }
        }
        var y = [Float](repeating: .nan, count: refY.count)
        var gx = [Float](repeating: prior, count: x.count)
        x.withUnsafeBufferPointer { xp in
        gy.withUnsafeBufferPointer { gyp in
            y.withUnsafeMutableBufferPointer { yp in
                asppForward(output: yp.baseAddress!, input: xp.baseAddress!, weights: wps, biases: bps,
                            workspace: workspace, geometry: geometry, batch: n, height: h, width: w)
            }
            gx.withUnsafeMutableBufferPointer { p in
                asppBackwardData(gradInput: p.baseAddress!, gradOutput: gyp.baseAddress!, weights: wps,
                                 workspace: workspace, geometry: geometry, batch: n, height: h, width: w)
            }
            asppBackwardWeight(gradWeights: gwps, gradBiases: gbps, input: xp.baseAddress!,
                               gradOutput: gyp.baseAddress!, workspace: workspace,
                               geometry: geometry, batch: n, height: h, width: w)
        }
        }
        let gw = gwps.map { Array(UnsafeBufferPointer(start: $0, count: c * cin * 9)) }
        let gb = gbps.map { Array(UnsafeBufferPointer(start: $0, count: c)) }

        assertClose(y, refY, "output", file: file, line: line)
        assertClose(gx, refGx, "grad_input", file: file, line: line)
        for b in 0..<bcount {
            assertClose(gw[b], refGw[b], "grad_weight[\(b)]", file: file, line: line)
            assertClose(gb[b], refGb[b], "grad_bias[\(b)]", file: file, line: line)
        }
    }

    private func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString, line: UInt) {
        let (d, s) = maxDiff(a, b.map(Double.init))
        XCTAssertLessThanOrEqual(d, 1e-4 * max(1, s), "\(what): max abs diff \(d) (max |ref| \(s))",
                                 file: file, line: line)
    }

    /// A heap copy of `values`; the caller deallocates it.
    private func allocated(_ values: [Float]) -> UnsafeMutablePointer<Float> {
        let p = UnsafeMutablePointer<Float>.allocate(capacity: values.count)
        p.initialize(from: values, count: values.count)
        return p
    }
}
