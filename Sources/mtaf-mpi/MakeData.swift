import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi make-data`: writes the synthetic multi-domain benchmark (spec §9).
    struct MakeData: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "make-data",
            abstract: "Write the synthetic multi-domain benchmark in the folder layouts of GTA5, Cityscapes, Mapillary and IDD.")

        @Option(help: "The output folder (default data/synthetic, or data/distinct with --benchmark distinct).")
        var out: String?

        @Option(help: "The domain shifts: standard (the original benchmark) or distinct (targets that differ from one another, docs/benchmark.md).")
        var benchmark: SyntheticShifts = .standard

        @Option(help: "The seed; equal seeds give identical files.")
        var seed: UInt64 = 0

        @Option(help: "The number of source (game, GTA5 layout) images.")
        var sourceImages: Int = 600

        @Option(help: "The number of training images per target domain.")
        var targetTrainImages: Int = 300

        @Option(help: "The number of validation images per target domain.")
        var targetValImages: Int = 100

        @Option(help: "The number of labelled tune images per target domain (a split apart from val, for choosing snapshots and loss weights).")
        var targetTuneImages: Int = 50

        @Option(help: "The class set the scenes are drawn for: 7, or 19 to add bicycles and trams so that every Cityscapes class occurs (labels are each dataset's raw ids either way).")
        var classes: Int = 7

        @Flag(help: "Also measure the domain gap with a colour-only nearest-mean classifier.")
        var checkGap = false

        func validate() throws {
            if sourceImages < 1 { throw ValidationError("--source-images must be at least 1, got \(sourceImages).") }
            if targetTrainImages < 1 {
                throw ValidationError("--target-train-images must be at least 1, got \(targetTrainImages).")
            }
            if targetValImages < 1 { throw ValidationError("--target-val-images must be at least 1, got \(targetValImages).") }
            if !SyntheticBenchmark.classCounts.contains(classes) {
                throw ValidationError("--classes must be 7 or 19, got \(classes).")
            }
            if targetTuneImages < 0 {
                throw ValidationError("--target-tune-images must not be negative, got \(targetTuneImages).")
            }
        }

        func run() throws {
            var options = SyntheticBenchmark.Options()
            let out = out ?? (benchmark == .standard ? "data/synthetic" : "data/distinct")
            options.outputDirectory = out
            options.shifts = benchmark
            options.seed = seed
            options.sourceImages = sourceImages
            options.targetTrainImages = targetTrainImages
            options.targetValImages = targetValImages
            options.targetTuneImages = targetTuneImages
            options.classes = classes
            let start = Date()
            let summary = try SyntheticBenchmark.generate(options)
            let seconds = Date().timeIntervalSince(start)
            StandardOutput.line("Wrote the \(benchmark) synthetic benchmark (seed \(seed), \(options.size) images, \(classes)-class scenes) to \(out):")
            StandardOutput.line("\(summary)")
            StandardOutput.line(String(format: "Done in %.2f s.", seconds))
            if checkGap {
                StandardOutput.line("\(SyntheticDomainGap.measure(seed: seed, imagesPerDomain: 40, size: options.size, shifts: benchmark))")
            }
        }
    }
}

extension SyntheticShifts: ExpressibleByArgument {}
