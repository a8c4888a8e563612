// A direct 7-loop convolution in Double: the test-only reference for Conv2d and ASPP.
//
// Sizes: N batch, Cin, Cout, H×W input, KH×KW kernel, Ho×Wo output (Conv2dGeometry's formulas).

@testable import MTAFNet

/// Forward: output [N, Cout, Ho, Wo] from input [N, Cin, H, W], weight [Cout, Cin, KH, KW], bias [Cout].
func naiveConv2dForward(input: [Float], weight: [Float], bias: [Float]?, _ g: Conv2dGeometry,
                        batch: Int, height: Int, width: Int) -> [Double] {
    let ho = g.outputHeight(height), wo = g.outputWidth(width)
    var out = [Double](repeating: 0, count: batch * g.outChannels * ho * wo)
    for n in 0..<batch {
        for co in 0..<g.outChannels {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var s = bias.map { Double($0[co]) } ?? 0
                    for ci in 0..<g.inChannels {
                        for i in 0..<g.kernelH {
                            let iy = oy * g.strideH - g.padH + i * g.dilationH
                            if iy < 0 || iy >= height { continue }
                            for j in 0..<g.kernelW {
                                let ix = ox * g.strideW - g.padW + j * g.dilationW
                                if ix < 0 || ix >= width { continue }
                                let xv = input[((n * g.inChannels + ci) * height + iy) * width + ix]
                                let wv = weight[((co * g.inChannels + ci) * g.kernelH + i) * g.kernelW + j]
                                s += Double(xv) * Double(wv)
                            }
                        }
                    }
                    out[((n * g.outChannels + co) * ho + oy) * wo + ox] = s
                }
            }
        }
    }
    return out
}

/// Gradients from gradOut [N, Cout, Ho, Wo]: input [N, Cin, H, W], weight [Cout, Cin, KH, KW], bias [Cout].
func naiveConv2dBackward(input: [Float], weight: [Float], gradOut: [Float], _ g: Conv2dGeometry,
                         batch: Int, height: Int, width: Int)
    -> (gradInput: [Double], gradWeight: [Double], gradBias: [Double]) {
    let ho = g.outputHeight(height), wo = g.outputWidth(width)
    var gx = [Double](repeating: 0, count: input.count)
    var gw = [Double](repeating: 0, count: weight.count)
    var gb = [Double](repeating: 0, count: g.outChannels)
    for n in 0..<batch {
        for co in 0..<g.outChannels {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let gv = Double(gradOut[((n * g.outChannels + co) * ho + oy) * wo + ox])
                    gb[co] += gv
                    for ci in 0..<g.inChannels {
                        for i in 0..<g.kernelH {
                            let iy = oy * g.strideH - g.padH + i * g.dilationH
                            if iy < 0 || iy >= height { continue }
                            for j in 0..<g.kernelW {
                                let ix = ox * g.strideW - g.padW + j * g.dilationW
                                if ix < 0 || ix >= width { continue }
                                let xi = ((n * g.inChannels + ci) * height + iy) * width + ix
                                let wi = ((co * g.inChannels + ci) * g.kernelH + i) * g.kernelW + j
                                gx[xi] += gv * Double(weight[wi])
                                gw[wi] += gv * Double(input[xi])
                            }
                        }
                    }
                }
            }
        }
    }
    return (gx, gw, gb)
}

/// Largest |a − b| and largest |b|.
func maxDiff(_ a: [Float], _ b: [Double]) -> (diff: Double, scale: Double) {
    precondition(a.count == b.count, "maxDiff: \(a.count) vs \(b.count) elements")
    var d = 0.0, s = 0.0
    for i in 0..<a.count {
        d = max(d, abs(Double(a[i]) - b[i]))
        s = max(s, abs(b[i]))
    }
    return (d, s)
}
