import Foundation
import MTAFNet

/// The result of one `bench` run.
struct BenchReport: Codable {
    var suite: String
    var threads: Int
    var reps: Int
    var clock: String
    var sgemmGFlops: Double
    var rows: [BenchRow]

    var table: String {
        func f(_ v: Double?, _ digits: Int) -> String {
            guard let v else { return "-" }
            return String(format: "%.\(digits)f", v)
        }
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            s.count >= n ? s : (left ? s + String(repeating: " ", count: n - s.count)
                                     : String(repeating: " ", count: n - s.count) + s)
        }
        var lines = ["sgemm 2048³: \(f(sgemmGFlops, 1)) GFLOP/s (\(threads) threads, min of \(reps), \(clock) clock)",
                     "GEMM path: \(gemmPathDescription)",
                     "convolution precision: \(ConvolutionPrecision.current.rawValue); bf16 kernel: "
                         + (bf16GEMMAvailable ? bf16KernelDescription : "unavailable (\(bf16UnavailableReason))"), ""]
        let header = [pad("shape", 34, left: true), pad("map", 9, left: true), pad("GFLOP", 7),
                      pad("fwd ms", 9), pad("data ms", 9), pad("wgt ms", 9),
                      pad("fwd GF/s", 9), pad("data GF/s", 10), pad("wgt GF/s", 9),
                      pad("fwd%", 6), pad("data%", 6), pad("wgt%", 6)]
        lines.append(header.joined(separator: " "))
        for r in rows {
            let ratio = { (t: Double?) -> String in
                guard let t else { return "-" }
                return f(r.gflop / (t / 1000) / sgemmGFlops * 100, 0)
            }
            let rate = { (t: Double?) -> String in
                guard let t else { return "-" }
                return f(r.gflop / (t / 1000), 1)
            }
            lines.append([pad(r.name, 34, left: true), pad(r.map, 9, left: true), pad(f(r.gflop, 3), 7),
                          pad(f(r.forwardMs, 2), 9), pad(f(r.dataMs, 2), 9), pad(f(r.weightMs, 2), 9),
                          pad(rate(r.forwardMs), 9), pad(rate(r.dataMs), 10), pad(rate(r.weightMs), 9),
                          pad(ratio(r.forwardMs), 6), pad(ratio(r.dataMs), 6), pad(ratio(r.weightMs), 6)]
                .joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}
