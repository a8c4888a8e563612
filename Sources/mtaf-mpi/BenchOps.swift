import Foundation
import MTAFNet

/// `mtaf-mpi bench ops`: every convolution shape of DeepLab-v2 R-101 at 320×640 (batch 1), the
/// ASPP classifier (restructured and as four plain convolutions), the discriminator, and the
/// convolutions' GEMMs through OpenBLAS and through our AVX-512 kernel (rows named "gemm ...").
enum BenchOps {
    /// One plain convolution to time: a label, its geometry and its input map.
    struct ConvCase {
        var name: String
        var geometry: Conv2dGeometry
        var height: Int
        var width: Int
    }

    /// The convolution shapes (spec §2.1–§2.3 at 320×640, spec §3 at 320×640 with 7 classes).
    static let convCases: [ConvCase] = {
        func c(_ name: String, _ cin: Int, _ cout: Int, _ k: Int, stride: Int = 1, padding: Int = 0,
               dilation: Int = 1, _ h: Int, _ w: Int) -> ConvCase {
            ConvCase(name: name, geometry: Conv2dGeometry(inChannels: cin, outChannels: cout, kernel: k,
                                                          stride: stride, padding: padding, dilation: dilation),
                     height: h, width: w)
        }
        return [
            c("stem 7x7/2 3->64", 3, 64, 7, stride: 2, padding: 3, 320, 640),
            c("layer1 1x1 64->64", 64, 64, 1, 81, 161),
            c("layer1 1x1 256->64", 256, 64, 1, 81, 161),
            c("layer1 1x1 64->256", 64, 256, 1, 81, 161),
            c("layer1 3x3 64->64", 64, 64, 3, padding: 1, 81, 161),
            c("layer2 1x1/2 256->128", 256, 128, 1, stride: 2, 81, 161),
            c("layer2 1x1/2 256->512 (downsample)", 256, 512, 1, stride: 2, 81, 161),
            c("layer2 1x1 512->128", 512, 128, 1, 41, 81),
            c("layer2 1x1 128->512", 128, 512, 1, 41, 81),
            c("layer2 3x3 128->128", 128, 128, 3, padding: 1, 41, 81),
            c("layer3 1x1 512->256", 512, 256, 1, 41, 81),
            c("layer3 1x1 1024->256", 1024, 256, 1, 41, 81),
            c("layer3 1x1 256->1024", 256, 1024, 1, 41, 81),
            c("layer3 3x3 d2 256->256", 256, 256, 3, padding: 2, dilation: 2, 41, 81),
            c("layer4 1x1 1024->512", 1024, 512, 1, 41, 81),
            c("layer4 1x1 2048->512", 2048, 512, 1, 41, 81),
            c("layer4 1x1 512->2048", 512, 2048, 1, 41, 81),
            c("layer4 3x3 d4 512->512", 512, 512, 3, padding: 4, dilation: 4, 41, 81),
            c("disc 4x4/2 7->64", 7, 64, 4, stride: 2, padding: 1, 320, 640),
            c("disc 4x4/2 64->128", 64, 128, 4, stride: 2, padding: 1, 160, 320),
            c("disc 4x4/2 128->256", 128, 256, 4, stride: 2, padding: 1, 80, 160),
            c("disc 4x4/2 256->512", 256, 512, 4, stride: 2, padding: 1, 40, 80),
            c("disc 4x4/2 512->1", 512, 1, 4, stride: 2, padding: 1, 20, 40),
        ]
    }()

    /// One GEMM to time through each path: `sgemm` shapes (op(A) m × k, op(B) k × n) and the
    /// convolution pass it comes from.
    struct GEMMCase {
        var transA: Bool, transB: Bool
        var m: Int, n: Int, k: Int
        var role: String
        var label: String { GEMMShape(transA: transA, transB: transB, m: m, n: n, k: k).description }
    }

    /// The square reference and the GEMMs of the largest convolutions of DeepLab-v2 R-101 at
    /// 320×640 as `Conv2d.swift` calls them (3×3: blocks of 13 output rows of 81 columns, 1053
    /// columns; 1×1 on 41×81: 3321 columns), forward (NN), input gradient (TN), weight gradient (NT);
    /// then small shapes that decide `sgemmUsesOwnKernel`.
    static let gemmCases: [GEMMCase] = {
        func g(_ t: String, _ m: Int, _ n: Int, _ k: Int, _ role: String) -> GEMMCase {
            GEMMCase(transA: t.hasPrefix("T"), transB: t.hasSuffix("T"), m: m, n: n, k: k, role: role)
        }
        return [
            g("NN", 2048, 2048, 2048, "square"),
            g("NN", 256, 1053, 2304, "layer3 3x3 fwd"),
            g("TN", 2304, 1053, 256, "layer3 3x3 data"),
            g("NT", 256, 2304, 1053, "layer3 3x3 wgt"),
            g("NN", 512, 1053, 4608, "layer4 3x3 fwd"),
            g("TN", 4608, 1053, 512, "layer4 3x3 data"),
            g("NT", 512, 4608, 1053, "layer4 3x3 wgt"),
            g("NN", 1024, 3321, 256, "layer3 1x1 fwd"),
            g("TN", 256, 3321, 1024, "layer3 1x1 data"),
            g("NT", 1024, 256, 3321, "layer3 1x1 wgt"),
            g("NN", 2048, 3321, 512, "layer4 1x1 fwd"),
            g("NN", 256, 13041, 64, "layer1 1x1 fwd"),
            g("NN", 64, 1771, 576, "layer1 3x3 fwd"),
            g("NT", 64, 576, 1771, "layer1 3x3 wgt"),
            g("NN", 64, 7040, 147, "stem 7x7 fwd"),
            g("NN", 256, 162, 2304, "layer3 3x3 last block"),
            g("NN", 64, 64, 64, "small"),
            g("NN", 32, 32, 32, "small"),
            g("NN", 16, 16, 16, "small"),
            g("NN", 8, 8, 8, "small"),
            g("NN", 64, 7, 3321, "narrow n"),
        ]
    }()

    /// The ASPP input channel counts (aux head on layer3, main head on layer4), 7 classes, 41×81.
    static let asppInputs = [1024, 2048]

    /// Runs every case (or those whose name contains `only`) and appends a total row.
    static func rows(reps: Int, only: String?, progress: Bool) -> [BenchRow] {
        func selected(_ name: String) -> Bool { only.map { name.contains($0) } ?? true }
        let workspace = ConvWorkspace()
        var rows: [BenchRow] = []
        func emit(_ row: BenchRow) {
            rows.append(row)
            if progress {
                FileHandle.standardError.write(Data("  \(row.name): done\n".utf8))
            }
        }
        for c in convCases where selected(c.name) {
            emit(convRow(c, reps: reps, workspace: workspace))
        }
        for cin in asppInputs {
            let geometry = ASPPGeometry(inChannels: cin, classes: 7)
            if selected("aspp \(cin)") {
                emit(asppRow(geometry, height: 41, width: 81, reps: reps, workspace: workspace))
            }
            if selected("aspp naive \(cin)") {
                emit(asppNaiveRow(geometry, height: 41, width: 81, reps: reps, workspace: workspace))
            }
        }
        if !rows.isEmpty {
            var total = BenchRow(name: "all conv shapes above (sum)", map: "", gflop: 0,
                                 forwardMs: 0, dataMs: 0, weightMs: 0)
            for r in rows where !r.name.hasPrefix("aspp naive") {
                total.gflop += r.gflop
                total.forwardMs! += r.forwardMs ?? 0
                total.dataMs! += r.dataMs ?? 0
                total.weightMs! += r.weightMs ?? 0
            }
            rows.append(total)
        }
        for c in gemmCases where selected("gemm \(c.label) \(c.role)") {
            for row in gemmRows(c, reps: reps) { emit(row) }
        }
        return rows
    }

    /// Up to three rows for one GEMM (C = op(A)·op(B), beta 0), times in the fwd column: OpenBLAS,
    /// then our AVX-512 kernel (absent on a CPU without AVX-512) with its speed-up over OpenBLAS in
    /// the name, e.g. "gemm NN 256x1053x2304 own x1.85", then our bf16 kernel (where
    /// `bf16GEMMAvailable`) with its speed-up over our FP32 kernel (not OpenBLAS), e.g. "... bf16 x1.80".
    /// The map column names the convolution pass.
    static func gemmRows(_ c: GEMMCase, reps: Int) -> [BenchRow] {
        let a = BenchBuffer(c.m * c.k, seed: 1), b = BenchBuffer(c.k * c.n, seed: 2)
        let out = BenchBuffer(c.m * c.n, seed: 3)
        func time(_ path: GEMMPath) -> Double {
            BenchTiming.minMs(reps: reps) {
                sgemm(path: path, transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: 1,
                      a: a.pointer, lda: c.transA ? c.m : c.k, b: b.pointer, ldb: c.transB ? c.k : c.n,
                      beta: 0, c: out.pointer, ldc: c.n)
            }
        }
        let gflop = 2 * Double(c.m) * Double(c.n) * Double(c.k) / 1e9
        let openblas = time(.openblas)
        // OpenBLAS's worker threads busy-wait (sched_yield) for about 0.1 s after a call; let them
        // fall asleep so that they do not take a core from ours.
        usleep(150_000)
        var rows = [BenchRow(name: "gemm \(c.label) openblas", map: c.role, gflop: gflop,
                             forwardMs: openblas, dataMs: nil, weightMs: nil)]
        if ownGEMMAvailable {
            let own = time(.own)
            rows.append(BenchRow(name: "gemm \(c.label) own x" + String(format: "%.2f", openblas / own),
                                 map: c.role, gflop: gflop, forwardMs: own, dataMs: nil, weightMs: nil))
            if bf16GEMMAvailable {
                let bf16 = BenchTiming.minMs(reps: reps) {
                    bf16gemm(transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: 1,
                             a: a.pointer, lda: c.transA ? c.m : c.k, b: b.pointer, ldb: c.transB ? c.k : c.n,
                             beta: 0, c: out.pointer, ldc: c.n)
                }
                rows.append(BenchRow(name: "gemm \(c.label) bf16 x" + String(format: "%.2f", own / bf16),
                                     map: c.role, gflop: gflop, forwardMs: bf16, dataMs: nil, weightMs: nil))
            }
        }
        return rows
    }

    static func convRow(_ c: ConvCase, reps: Int, workspace: ConvWorkspace) -> BenchRow {
        let g = c.geometry, h = c.height, w = c.width
        let ho = g.outputHeight(h), wo = g.outputWidth(w)
        let x = BenchBuffer(g.inChannels * h * w, seed: 1), wt = BenchBuffer(g.weightCount, seed: 2)
        let b = BenchBuffer(g.outChannels, seed: 3), gy = BenchBuffer(g.outChannels * ho * wo, seed: 4)
        let y = BenchBuffer(g.outChannels * ho * wo, seed: 5)
        let gx = BenchBuffer(g.inChannels * h * w, seed: 6), gw = BenchBuffer(g.weightCount, seed: 7)
        let gb = BenchBuffer(g.outChannels, seed: 8)
        let forward = BenchTiming.minMs(reps: reps) {
            conv2dForward(output: y.pointer, input: x.pointer, weight: wt.pointer, bias: b.pointer,
                          workspace: workspace, geometry: g, batch: 1, height: h, width: w)
        }
        let data = BenchTiming.minMs(reps: reps) {
            conv2dBackwardData(gradInput: gx.pointer, gradOutput: gy.pointer, weight: wt.pointer,
                               workspace: workspace, geometry: g, batch: 1, height: h, width: w)
        }
        let weight = BenchTiming.minMs(reps: reps) {
            conv2dBackwardWeight(gradWeight: gw.pointer, gradBias: gb.pointer, input: x.pointer,
                                 gradOutput: gy.pointer, workspace: workspace,
                                 geometry: g, batch: 1, height: h, width: w)
        }
        return BenchRow(name: c.name, map: "\(h)x\(w)", gflop: g.flops(batch: 1, height: h, width: w) / 1e9,
                        forwardMs: forward, dataMs: data, weightMs: weight)
    }

    static func asppRow(_ g: ASPPGeometry, height h: Int, width w: Int, reps: Int,
                        workspace: ConvWorkspace) -> BenchRow {
        let branch = g.classes * g.inChannels * 9
        let x = BenchBuffer(g.inChannels * h * w, seed: 1), gy = BenchBuffer(g.classes * h * w, seed: 4)
        let y = BenchBuffer(g.classes * h * w, seed: 5), gx = BenchBuffer(g.inChannels * h * w, seed: 6)
        let ws = (0..<g.branches).map { BenchBuffer(branch, seed: UInt32(10 + $0)) }
        let bs = (0..<g.branches).map { BenchBuffer(g.classes, seed: UInt32(20 + $0)) }
        let gws = (0..<g.branches).map { BenchBuffer(branch, seed: UInt32(30 + $0)) }
        let gbs = (0..<g.branches).map { BenchBuffer(g.classes, seed: UInt32(40 + $0)) }
        let wps = ws.map { UnsafePointer($0.pointer) }, bps = bs.map { UnsafePointer($0.pointer) }
        let gwps = gws.map(\.pointer), gbps = gbs.map(\.pointer)
        let forward = BenchTiming.minMs(reps: reps) {
            asppForward(output: y.pointer, input: x.pointer, weights: wps, biases: bps,
                        workspace: workspace, geometry: g, batch: 1, height: h, width: w)
        }
        let data = BenchTiming.minMs(reps: reps) {
            asppBackwardData(gradInput: gx.pointer, gradOutput: gy.pointer, weights: wps,
                             workspace: workspace, geometry: g, batch: 1, height: h, width: w)
        }
        let weight = BenchTiming.minMs(reps: reps) {
            asppBackwardWeight(gradWeights: gwps, gradBiases: gbps, input: x.pointer, gradOutput: gy.pointer,
                               workspace: workspace, geometry: g, batch: 1, height: h, width: w)
        }
        withExtendedLifetime((ws, bs, gws, gbs)) {}
        return BenchRow(name: "aspp \(g.inChannels)->\(g.classes) (4 branches)", map: "\(h)x\(w)",
                        gflop: g.flops(batch: 1, height: h, width: w) / 1e9,
                        forwardMs: forward, dataMs: data, weightMs: weight)
    }

    /// The same classifier as four plain 3×3 convolutions whose outputs are summed.
    static func asppNaiveRow(_ g: ASPPGeometry, height h: Int, width w: Int, reps: Int,
                             workspace: ConvWorkspace) -> BenchRow {
        let branch = g.classes * g.inChannels * 9, plane = g.classes * h * w
        let x = BenchBuffer(g.inChannels * h * w, seed: 1), gy = BenchBuffer(plane, seed: 4)
        let y = BenchBuffer(plane, seed: 5), yb = BenchBuffer(plane, seed: 9)
        let gx = BenchBuffer(g.inChannels * h * w, seed: 6)
        let ws = (0..<g.branches).map { BenchBuffer(branch, seed: UInt32(10 + $0)) }
        let bs = (0..<g.branches).map { BenchBuffer(g.classes, seed: UInt32(20 + $0)) }
        let gws = (0..<g.branches).map { BenchBuffer(branch, seed: UInt32(30 + $0)) }
        let gbs = (0..<g.branches).map { BenchBuffer(g.classes, seed: UInt32(40 + $0)) }
        let forward = BenchTiming.minMs(reps: reps) {
            for b in 0..<g.branches {
                conv2dForward(output: b == 0 ? y.pointer : yb.pointer, input: x.pointer,
                              weight: ws[b].pointer, bias: bs[b].pointer, workspace: workspace,
                              geometry: g.branch(b), batch: 1, height: h, width: w)
                if b > 0 { for i in 0..<plane { y.pointer[i] += yb.pointer[i] } }
            }
        }
        let data = BenchTiming.minMs(reps: reps) {
            for b in 0..<g.branches {
                conv2dBackwardData(gradInput: gx.pointer, gradOutput: gy.pointer, weight: ws[b].pointer,
                                   workspace: workspace, geometry: g.branch(b), batch: 1, height: h, width: w)
            }
        }
        let weight = BenchTiming.minMs(reps: reps) {
            for b in 0..<g.branches {
                conv2dBackwardWeight(gradWeight: gws[b].pointer, gradBias: gbs[b].pointer, input: x.pointer,
                                     gradOutput: gy.pointer, workspace: workspace,
                                     geometry: g.branch(b), batch: 1, height: h, width: w)
            }
        }
        return BenchRow(name: "aspp naive \(g.inChannels)->\(g.classes) (4 convs)", map: "\(h)x\(w)",
                        gflop: g.flops(batch: 1, height: h, width: w) / 1e9,
                        forwardMs: forward, dataMs: data, weightMs: weight)
    }
}
