import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi make-data`: writes the synthetic multi-domain benchmark (spec §9), or with
    /// `--pretext` the pretext data that stands in for ImageNet (docs/pretraining.md).
    struct MakeData: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "make-data",
            abstract: "Write the synthetic multi-domain benchmark in the folder layouts of GTA5, Cityscapes, Mapillary and IDD, "
                + "or the pretext data of `pretrain`.")

        @Option(help: "The output folder (default: data/synthetic, with --benchmark distinct data/distinct, with --pretext data/pretext).")
        var out: String?

        @Option(help: "The domain shifts: standard (the original benchmark) or distinct (targets that differ from one another, docs/benchmark.md).")
        var benchmark: SyntheticShifts = .standard

        @Flag(help: "Write the pretext data instead: shape and texture collages in GTA5's layout, the stand-in for ImageNet of `mtaf-mpi pretrain`.")
        var pretext = false

        @Option(help: "With --pretext: the number of training images (list all.txt).")
        var pretextTrainImages: Int = 2000

        @Option(help: "With --pretext: the number of held-out images (list val.txt).")
        var pretextValImages: Int = 200

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
            if pretextTrainImages < 1 {
                throw ValidationError("--pretext-train-images must be at least 1, got \(pretextTrainImages).")
            }
            if pretextValImages < 1 { throw ValidationError("--pretext-val-images must be at least 1, got \(pretextValImages).") }
            if pretext && (classes != 7 || checkGap || benchmark != .standard) {
                throw ValidationError("--classes, --benchmark and --check-gap describe the benchmark's street scenes; the pretext data has none of them.")
            }
        }

        func run() throws {
            if pretext { return try writePretext() }
            var options = SyntheticBenchmark.Options()
            options.outputDirectory = out ?? benchmark.defaultDirectory
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
            StandardOutput.line("Wrote the \(benchmark) synthetic benchmark (seed \(seed), \(options.size) images, \(classes)-class scenes) to \(options.outputDirectory):")
            StandardOutput.line("\(summary)")
            StandardOutput.line(String(format: "Done in %.2f s.", seconds))
            if checkGap {
                StandardOutput.line("\(SyntheticDomainGap.measure(seed: seed, imagesPerDomain: 40, size: options.size, shifts: benchmark))")
            }
        }

        /// `--pretext`: the shape and texture collages (docs/pretraining.md).
        private func writePretext() throws {
            var options = SyntheticPretext.Options()
            options.outputDirectory = out ?? options.outputDirectory
            options.seed = seed
            options.trainImages = pretextTrainImages
            options.valImages = pretextValImages
            let start = Date()
            let summary = try SyntheticPretext.generate(options)
            StandardOutput.line("Wrote the pretext data (seed \(seed), \(options.size) images) to \(options.outputDirectory):")
            StandardOutput.line("\(summary)")
            StandardOutput.line(String(format: "Done in %.2f s.", Date().timeIntervalSince(start)))
        }
    }
}

extension SyntheticShifts: ExpressibleByArgument {}
