// The thread partition of our GEMM (Sources/CGEMM `plan_grid`) over the GEMMs of one ResNet-101
// DeepLab-v2 training step, for 1 to 128 threads: pure arithmetic, no thread is started.
//
// The shapes below were recorded from the real model by
// `mtaf-mpi bench ops --plan-threads 1 --json` (its "shapes": every sgemm call of the forward in
// training mode and the backward, with its call count); that command prints the same model live.

import XCTest
@testable import MTAFNet

final class GEMMPartitionTests: XCTestCase {
    typealias Recorded = (layout: String, m: Int, n: Int, k: Int, calls: Int)

    /// One training step at 320x640.
    static let step320x640: [Recorded] = [
        ("NN", 1024, 3321, 256, 23), ("NN", 1024, 3321, 512, 1), ("NN", 128, 1053, 1152, 12), ("NN", 128, 162, 1152, 4),
        ("NN", 128, 3321, 256, 1), ("NN", 128, 3321, 512, 3), ("NN", 2048, 3321, 1024, 1), ("NN", 2048, 3321, 512, 3),
        ("NN", 231, 3321, 1024, 1), ("NN", 231, 3321, 2048, 1), ("NN", 256, 1053, 2304, 69), ("NN", 256, 13041, 64, 4),
        ("NN", 256, 162, 2304, 23), ("NN", 256, 3321, 1024, 22), ("NN", 256, 3321, 512, 1), ("NN", 512, 1053, 4608, 9),
        ("NN", 512, 162, 4608, 3), ("NN", 512, 3321, 1024, 1), ("NN", 512, 3321, 128, 4), ("NN", 512, 3321, 2048, 2),
        ("NN", 512, 3321, 256, 1), ("NN", 64, 13041, 256, 2), ("NN", 64, 13041, 64, 1), ("NN", 64, 1771, 576, 21),
        ("NN", 64, 1920, 147, 1), ("NN", 64, 644, 576, 3), ("NN", 64, 7040, 147, 7), ("NT", 1024, 256, 3321, 23),
        ("NT", 1024, 512, 3321, 1), ("NT", 128, 1152, 1053, 12), ("NT", 128, 1152, 162, 4), ("NT", 128, 256, 3321, 1),
        ("NT", 128, 512, 3321, 3), ("NT", 2048, 1024, 3321, 1), ("NT", 2048, 512, 3321, 3), ("NT", 231, 1024, 3321, 1),
        ("NT", 231, 2048, 3321, 1), ("NT", 256, 1024, 3321, 22), ("NT", 256, 2304, 1053, 69), ("NT", 256, 2304, 162, 23),
        ("NT", 256, 512, 3321, 1), ("NT", 256, 64, 13041, 4), ("NT", 512, 1024, 3321, 1), ("NT", 512, 128, 3321, 4),
        ("NT", 512, 2048, 3321, 2), ("NT", 512, 256, 3321, 1), ("NT", 512, 4608, 1053, 9), ("NT", 512, 4608, 162, 3),
        ("NT", 64, 147, 1920, 1), ("NT", 64, 147, 7040, 7), ("NT", 64, 256, 13041, 2), ("NT", 64, 576, 1771, 21),
        ("NT", 64, 576, 644, 3), ("NT", 64, 64, 13041, 1), ("TN", 1024, 3321, 2048, 1), ("TN", 1024, 3321, 231, 1),
        ("TN", 1024, 3321, 256, 22), ("TN", 1024, 3321, 512, 1), ("TN", 1152, 1053, 128, 12), ("TN", 1152, 162, 128, 4),
        ("TN", 128, 3321, 512, 4), ("TN", 2048, 3321, 231, 1), ("TN", 2048, 3321, 512, 2), ("TN", 2304, 1053, 256, 69),
        ("TN", 2304, 162, 256, 23), ("TN", 256, 13041, 64, 2), ("TN", 256, 3321, 1024, 23), ("TN", 256, 3321, 128, 1),
        ("TN", 256, 3321, 512, 1), ("TN", 4608, 1053, 512, 9), ("TN", 4608, 162, 512, 3), ("TN", 512, 3321, 1024, 1),
        ("TN", 512, 3321, 128, 3), ("TN", 512, 3321, 2048, 3), ("TN", 512, 3321, 256, 1), ("TN", 576, 1771, 64, 21),
        ("TN", 576, 644, 64, 3), ("TN", 64, 13041, 256, 4), ("TN", 64, 13041, 64, 1),
    ]

    /// One training step at 512x1024.
    static let step512x1024: [Recorded] = [
        ("NN", 1024, 8385, 256, 23), ("NN", 1024, 8385, 512, 1), ("NN", 128, 1032, 1152, 32), ("NN", 128, 129, 1152, 4),
        ("NN", 128, 387, 256, 1), ("NN", 128, 3999, 256, 2), ("NN", 128, 8385, 512, 3), ("NN", 2048, 8385, 1024, 1),
        ("NN", 2048, 8385, 512, 3), ("NN", 231, 8385, 1024, 1), ("NN", 231, 8385, 2048, 1), ("NN", 256, 1032, 2304, 184),
        ("NN", 256, 129, 2304, 23), ("NN", 256, 33153, 64, 4), ("NN", 256, 8385, 1024, 22), ("NN", 256, 8385, 512, 1),
        ("NN", 512, 1032, 4608, 24), ("NN", 512, 129, 4608, 3), ("NN", 512, 387, 256, 1), ("NN", 512, 3999, 256, 2),
        ("NN", 512, 8385, 1024, 1), ("NN", 512, 8385, 128, 4), ("NN", 512, 8385, 2048, 2), ("NN", 64, 1799, 576, 54),
        ("NN", 64, 33153, 256, 2), ("NN", 64, 33153, 64, 1), ("NN", 64, 4608, 147, 1), ("NN", 64, 6656, 147, 19),
        ("NN", 64, 771, 576, 3), ("NT", 1024, 256, 8385, 23), ("NT", 1024, 512, 8385, 1), ("NT", 128, 1152, 1032, 32),
        ("NT", 128, 1152, 129, 4), ("NT", 128, 256, 387, 1), ("NT", 128, 256, 3999, 2), ("NT", 128, 512, 8385, 3),
        ("NT", 2048, 1024, 8385, 1), ("NT", 2048, 512, 8385, 3), ("NT", 231, 1024, 8385, 1), ("NT", 231, 2048, 8385, 1),
        ("NT", 256, 1024, 8385, 22), ("NT", 256, 2304, 1032, 184), ("NT", 256, 2304, 129, 23), ("NT", 256, 512, 8385, 1),
        ("NT", 256, 64, 33153, 4), ("NT", 512, 1024, 8385, 1), ("NT", 512, 128, 8385, 4), ("NT", 512, 2048, 8385, 2),
        ("NT", 512, 256, 387, 1), ("NT", 512, 256, 3999, 2), ("NT", 512, 4608, 1032, 24), ("NT", 512, 4608, 129, 3),
        ("NT", 64, 147, 4608, 1), ("NT", 64, 147, 6656, 19), ("NT", 64, 256, 33153, 2), ("NT", 64, 576, 1799, 54),
        ("NT", 64, 576, 771, 3), ("NT", 64, 64, 33153, 1), ("TN", 1024, 8385, 2048, 1), ("TN", 1024, 8385, 231, 1),
        ("TN", 1024, 8385, 256, 22), ("TN", 1024, 8385, 512, 1), ("TN", 1152, 1032, 128, 32), ("TN", 1152, 129, 128, 4),
        ("TN", 128, 8385, 512, 4), ("TN", 2048, 8385, 231, 1), ("TN", 2048, 8385, 512, 2), ("TN", 2304, 1032, 256, 184),
        ("TN", 2304, 129, 256, 23), ("TN", 256, 33153, 64, 2), ("TN", 256, 387, 128, 1), ("TN", 256, 387, 512, 1),
        ("TN", 256, 3999, 128, 2), ("TN", 256, 3999, 512, 2), ("TN", 256, 8385, 1024, 23), ("TN", 4608, 1032, 512, 24),
        ("TN", 4608, 129, 512, 3), ("TN", 512, 8385, 1024, 1), ("TN", 512, 8385, 128, 3), ("TN", 512, 8385, 2048, 3),
        ("TN", 512, 8385, 256, 1), ("TN", 576, 1799, 64, 54), ("TN", 576, 771, 64, 3), ("TN", 64, 33153, 256, 4),
        ("TN", 64, 33153, 64, 1),
    ]

    static func shapes(_ recorded: [Recorded]) -> [(GEMMShape, Int)] {
        recorded.map { (GEMMShape(transA: $0.layout.hasPrefix("T"), transB: $0.layout.hasSuffix("T"),
                                  m: $0.m, n: $0.n, k: $0.k), $0.calls) }
    }

    /// The threads that take part share the step's multiply-adds evenly (≥ 90%, weighted by
    /// work), each holds whole register tiles, and no plan uses more threads than it is given.
    func testStepBalanceAtEveryThreadCount() {
        for (name, recorded) in [("320x640", Self.step320x640), ("512x1024", Self.step512x1024)] {
            for threads in 1...128 {
                var work = 0.0, slowest = 0.0
                for (shape, calls) in Self.shapes(recorded) {
                    let plan = shape.partition(threads: threads)
                    XCTAssertTrue(plan.threads >= 1 && plan.threads <= threads, "\(name) \(shape) on \(threads)")
                    XCTAssertEqual(plan.threads, plan.rowWays * plan.columnWays)
                    XCTAssertLessThanOrEqual(plan.rowWays, (shape.m + 13) / 14, "\(shape): a row share below one tile")
                    XCTAssertLessThanOrEqual(plan.columnWays, (shape.n + 15) / 16, "\(shape): a column share below 16")
                    let total = Double(shape.m) * Double(shape.n) * Double(shape.k)
                    XCTAssertEqual(plan.meanMultiplyAdds * Double(plan.threads), total, accuracy: total * 1e-12,
                                   "\(shape): the shares do not tile C")
                    work += Double(calls) * total
                    slowest += Double(calls) * plan.maxMultiplyAdds * Double(plan.threads)
                }
                XCTAssertGreaterThanOrEqual(work / slowest, 0.9, "\(name) on \(threads) threads")
            }
        }
    }

    /// Each thread packs less as threads double (A shares shrink, B blocks are packed together).
    func testPackedBytesPerThreadFallAsThreadsDouble() {
        for recorded in [Self.step320x640, Self.step512x1024] {
            func packed(_ threads: Int) -> Double {
                Self.shapes(recorded).reduce(0) { $0 + Double($1.1) * $1.0.partition(threads: threads).maxPackedBytes }
            }
            var last = packed(1)
            for threads in [2, 4, 8, 16, 32, 64, 128] {
                let now = packed(threads)
                XCTAssertLessThan(now, last, "packed bytes per thread at \(threads) threads")
                last = now
            }
        }
    }
}
