import ArgumentParser
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi bench`: speed measurements of our kernels against the machine's sgemm rate.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the convolution kernels (suite 'ops') against a square sgemm.",
            discussion: """
                Measures the sgemm rate on a 2048³ GEMM first, then every convolution shape of \
                DeepLab-v2 ResNet-101 at a 320×640 input (batch 1), the ASPP classifier (also as \
                four plain convolutions) and the discriminator's 4×4/2 convolutions. Times are the \
                minimum over --reps runs after one warm-up; GFLOP/s counts 2·Cout·Cin·KH·KW·Ho·Wo \
                per pass.
                """)

        /// What to measure; later suites (the whole model) add cases here.
        enum Suite: String, ExpressibleByArgument, CaseIterable {
            case ops
            case model
        }

        @Argument(help: "The suite to run (ops, or model: whole DeepLab-v2 forward and training step).")
        var suite: Suite = .ops

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        @Option(name: .long, help: "Timed repetitions per measurement; the minimum is reported.")
        var reps = 3

        @Option(name: .long, help: "BLAS and kernel threads (default: all cores).")
        var threads: Int?

        @Option(name: .long, help: "Only run the cases whose name contains this text.")
        var only: String?

        @Option(name: .long, help: "wall, or cpu (process CPU time: robust on a busy machine with --threads 1).")
        var clock: BenchTiming.Clock = .wall

        func validate() throws {
            if reps < 1 { throw ValidationError("--reps must be at least 1.") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
        }

        func run() throws {
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            setBLASThreads(threadCount)
            BenchTiming.clock = clock
            if suite == .model { return try BenchModel.run(threads: threadCount, reps: reps, only: only, json: json) }
            let sgemmRate = BenchTiming.sgemmRate(size: 2048, reps: reps)
            var report = BenchReport(suite: suite.rawValue, threads: threadCount, reps: reps,
                                     clock: clock.rawValue, sgemmGFlops: sgemmRate, rows: [])
            switch suite {
            case .ops:
                report.rows = BenchOps.rows(reps: reps, only: only, progress: !json)
                    .map { $0.rated(sgemmGFlops: sgemmRate) }
            case .model:
                break
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.table)
            }
        }
    }
}
