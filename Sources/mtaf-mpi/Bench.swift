import ArgumentParser
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi bench`: speed measurements of our kernels, the whole model and whole training
    /// iterations (bench/compare sets them against PyTorch).
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the kernels (ops), the whole model (model) or one training iteration (iteration).",
            discussion: """
                ops: the sgemm rate on a 2048³ GEMM first, then every convolution shape of \
                DeepLab-v2 ResNet-101 at a 320×640 input (batch 1), the ASPP classifier (also as \
                four plain convolutions) and the discriminator's 4×4/2 convolutions (in \
                --precision), then the convolutions' GEMMs through OpenBLAS, our FP32 kernel and \
                our bf16 kernel (where the CPU has AVX512-BF16); GFLOP/s counts \
                2·Cout·Cin·KH·KW·Ho·Wo per pass.

                model: DeepLab-v2 (7 classes, multi-level, batch 1) at --size: the eval forward \
                and the training step (CE main + 0.1 aux at the input size, backward) by \
                default; --measure eval adds the evaluation of one image as `test` does it \
                (main logits, bilinear upsampling to the input size, argmax) in images/s. Both \
                models (ResNet-101 at width 64 and 16) unless --model or --only picks one.

                iteration: one full iteration of --framework (exactly what `train` runs per \
                iteration in one process: generator and discriminator phases, SGD and Adam \
                steps) on random in-memory batches (source 1 image with labels, 1 image per \
                target) at --size, with MTAF's default loss weights and discriminators of \
                width 64; ResNet-101 at width 64 unless --model w16.

                Times are the minimum over --reps runs after one warm-up. model and iteration \
                report the peak resident memory of the process.
                """)

        /// What to measure.
        enum Suite: String, ExpressibleByArgument, CaseIterable {
            case ops
            case model
            case iteration
        }

        @Argument(help: "The suite to run: ops, model or iteration.")
        var suite: Suite = .ops

        @OptionGroup var precision: PrecisionOption

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        @Option(name: .long, help: "Timed repetitions per measurement; the minimum is reported.")
        var reps = 3

        @Option(name: .long, help: "BLAS and kernel threads (default: all cores).")
        var threads: Int?

        @Option(name: .long, help: "Only run the cases whose name contains this text (ops, model).")
        var only: String?

        @Option(name: .long, help: "wall, or cpu (process CPU time: robust on a busy machine with --threads 1).")
        var clock: BenchTiming.Clock = .wall

        @Option(name: .long, help: ArgumentHelp("Input size HxW (model, iteration).", valueName: "HxW"))
        var size: BenchSize = .training

        @Option(name: .long, help: ArgumentHelp(
            "The segmenter: r101 (ResNet-101, width 64) or w16 (width 16). model: default both; iteration: default r101.",
            valueName: "r101|w16"))
        var model: BenchModelChoice?

        @Option(name: .long, help: ArgumentHelp("What model times, comma-separated: forward, step, eval.",
                                                valueName: "list"))
        var measure: BenchModel.Measures = .standard

        @Option(name: .long, help: ArgumentHelp("The framework iteration runs (TRAIN.MT_FRAMEWORK in lower case).",
                                                valueName: "name"))
        var framework: TrainingFrameworkKind?

        @Option(name: .long, help: "Target domains T of iteration (MDis and MTKT need at least 2).")
        var targets = 2

        @Option(name: .long, help: ArgumentHelp(
            "ops: instead of timing, how our GEMM cuts each GEMM of a ResNet-101 step at 320x640 and 512x1024 among N threads, for each N listed (e.g. 1-128 or 1,2,4,16).",
            valueName: "list"))
        var planThreads: String?

        func validate() throws {
            if reps < 1 { throw ValidationError("--reps must be at least 1.") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
            switch suite {
            case .iteration:
                guard let framework else {
                    throw ValidationError("bench iteration needs --framework (\(TrainingFrameworkKind.allValueStrings.joined(separator: ", "))).")
                }
                do {
                    try framework.validate(targetCount: targets)
                } catch {
                    throw ValidationError("--targets \(targets): \(error)")
                }
                if size.height < 32 || size.width < 32 {
                    throw ValidationError("--size \(size): the discriminator halves its input five times (spec §3); each side needs at least 32 pixels.")
                }
            case .model:
                if size.height < 8 || size.width < 8 { throw ValidationError("--size \(size): each side needs at least 8 pixels.") }
            case .ops:
                if let planThreads {
                    guard let counts = BenchPlan.parseThreadList(planThreads) else {
                        throw ValidationError("--plan-threads \(planThreads): expected counts and ranges such as 1-128 or 1,2,4,16.")
                    }
                    if let top = counts.max(), top > maximumBLASThreads {
                        throw ValidationError("--plan-threads \(planThreads): at most \(maximumBLASThreads) threads.")
                    }
                }
            }
            if planThreads != nil && suite != .ops {
                throw ValidationError("--plan-threads belongs to bench ops.")
            }
        }

        func run() throws {
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            setBLASThreads(threadCount)
            BenchTiming.clock = clock
            _ = try precision.apply(amp: false, ampKey: "AMP")
            switch suite {
            case .model:
                return try BenchModel.run(threads: threadCount, reps: reps, only: only, model: model, size: size,
                                          measures: measure, json: json)
            case .iteration:
                return try BenchIteration.run(framework: framework!, targets: targets, model: model ?? .r101, size: size,
                                              threads: threadCount, reps: reps, json: json)
            case .ops:
                if let planThreads, let counts = BenchPlan.parseThreadList(planThreads) {
                    return BenchPlan.run(threadCounts: counts, json: json)
                }
            }
            let sgemmRate = BenchTiming.sgemmRate(size: 2048, reps: reps)
            var report = BenchReport(suite: suite.rawValue, threads: threadCount, reps: reps,
                                     clock: clock.rawValue, sgemmGFlops: sgemmRate, rows: [])
            report.rows = BenchOps.rows(reps: reps, only: only, progress: !json)
                .map { $0.rated(sgemmGFlops: sgemmRate) }
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
