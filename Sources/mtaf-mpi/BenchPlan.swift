import Foundation
import MTAFNet

/// `mtaf-mpi bench ops --plan-threads N…`: the thread-partition model of our GEMM. It records the
/// shape of every GEMM one training step of DeepLab-v2 ResNet-101 makes (forward in training mode,
/// CE on both levels, backward: forward, data and weight products) at 320×640 and at the
/// evaluation size 512×1024, then asks the kernel how it would cut each among N threads
/// (`GEMMShape.partition`, the same planner the kernel runs) — nothing is timed, so it answers
/// for 128 threads on a 2-core machine.
enum BenchPlan {
    static let sizes = [BenchSize.training, BenchSize(height: 512, width: 1024)]

    /// One line of the model: a thread count and what it gives over the step's GEMM calls.
    struct Line: Encodable {
        var threads: Int
        /// Fewest and most threads that take part in one call.
        var threads_used_min: Int, threads_used_max: Int
        /// Σ multiply-adds / Σ (threads taking part · the largest thread's multiply-adds) over the
        /// step's calls: how evenly the threads that take part share the step's GEMM work.
        var balance: Double
        /// The lowest mean/max multiply-add ratio among the threads taking part, over all shapes.
        var worst_balance: Double
        var worst_balance_shape: String
        /// Σ multiply-adds / (N · Σ the largest thread's multiply-adds): the GEMMs' parallel
        /// efficiency if time followed multiply-adds.
        var step_efficiency: Double
        /// Σ over the step's calls of the most bytes one thread packs, MiB.
        var packed_mib_per_thread: Double
    }

    struct Report: Encodable {
        var size: String
        var shapes: [Shape]
        var lines: [Line]
        struct Shape: Encodable {
            var shape: GEMMShape
            var calls: Int
        }
    }

    static func run(threadCounts: [Int], json: Bool) {
        ActivationMemory.keepFreedPages()
        for size in sizes {
            if !json { FileHandle.standardError.write(Data("  recording the GEMMs of one step at \(size)\n".utf8)) }
            let shapes = recordedShapes(size: size)
            let report = Report(size: size.description,
                                shapes: shapes.map { Report.Shape(shape: $0.key, calls: $0.value) },
                                lines: threadCounts.map { line(threads: $0, shapes: shapes) })
            if json {
                print(BenchJSON.line(report))
            } else {
                print(table(report))
            }
        }
    }

    /// The shapes of one ResNet-101 training step at `size`, sorted, with their call counts.
    static func recordedShapes(size: BenchSize) -> [(key: GEMMShape, value: Int)] {
        let configuration = BenchModelChoice.r101.configuration
        let model = DeepLabV2(configuration, random: RandomStream(seed: 1))
        var random = RandomStream(seed: 2)
        let input = Tensor(shape: [1, 3, size.height, size.width])
        random.fillNormal(input, mean: 0, std: 60)
        let labels = (0..<(size.height * size.width)).map { _ in Int32(random.nextInt(below: configuration.classes)) }
        let shapes = GEMMShapes.record { BenchModel.trainingStep(model, input: input, labels: labels) }
        return shapes.sorted { ($0.key.description, $0.value) < ($1.key.description, $1.value) }
    }

    static func line(threads: Int, shapes: [(key: GEMMShape, value: Int)]) -> Line {
        var line = Line(threads: threads, threads_used_min: Int.max, threads_used_max: 0, balance: 0, worst_balance: 1,
                        worst_balance_shape: "", step_efficiency: 0, packed_mib_per_thread: 0)
        var madds = 0.0, slowest = 0.0, slowestTakingPart = 0.0
        for (shape, calls) in shapes {
            let plan = shape.partition(threads: threads)
            line.threads_used_min = min(line.threads_used_min, plan.threads)
            line.threads_used_max = max(line.threads_used_max, plan.threads)
            if plan.balance < line.worst_balance {
                line.worst_balance = plan.balance
                line.worst_balance_shape = shape.description
            }
            madds += Double(calls) * plan.meanMultiplyAdds * Double(plan.threads)
            slowest += Double(calls) * plan.maxMultiplyAdds
            slowestTakingPart += Double(calls) * plan.maxMultiplyAdds * Double(plan.threads)
            line.packed_mib_per_thread += Double(calls) * plan.maxPackedBytes / 1_048_576
        }
        line.step_efficiency = madds / (Double(threads) * slowest)
        line.balance = madds / slowestTakingPart
        return line
    }

    static func table(_ report: Report) -> String {
        let calls = report.shapes.reduce(0) { $0 + $1.calls }
        var out = "GEMM partition model, ResNet-101 training step at \(report.size): \(calls) calls, \(report.shapes.count) shapes\n"
        out += "threads  used (min-max)  balance  worst balance (shape)          step efficiency  packed MiB/thread\n"
        for l in report.lines {
            out += String(format: "%7d  %5d-%-7d  %7.3f  %6.3f %-24@  %15.3f  %17.1f\n", l.threads, l.threads_used_min,
                          l.threads_used_max, l.balance, l.worst_balance, "(\(l.worst_balance_shape))" as NSString,
                          l.step_efficiency, l.packed_mib_per_thread)
        }
        return out
    }

    /// "1-128", "1,2,4,16" or a mix ("1-4,8,16").
    static func parseThreadList(_ text: String) -> [Int]? {
        var counts: [Int] = []
        for part in text.split(separator: ",") {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count), let lo = Int(ends[0]), let hi = Int(ends.last!), lo >= 1, hi >= lo else {
                return nil
            }
            counts += Array(lo...hi)
        }
        return counts.isEmpty ? nil : counts
    }
}
