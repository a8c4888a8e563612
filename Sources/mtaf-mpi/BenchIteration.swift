import Foundation
import MTAFNet

/// `mtaf-mpi bench iteration`: one full training iteration of a framework of spec §5 — exactly
/// the `trainIteration(on:)` call that `mtaf-mpi train` makes per iteration in a single process
/// (zero gradients and poly LRs, generator phase, discriminator phase, SGD step, Adam steps) —
/// on random in-memory batches: a source batch of one image with labels and one image per
/// target, all at `--size`. The state is a new run's (`TrainingState.initialized`) with MTAF's
/// default hyper-parameters (spec §6.2: λ_SEG 1/0.1, λ_ADV 0.001/0.0002, λ_KL 1, TEACHER_ITERS 0
/// so MTKT distils from the first iteration, SGD_REPEAT `auto` without AMP = repeated) and
/// discriminators of width 64. Reports the minimum seconds over `--reps` iterations after one
/// warm-up iteration, and the peak resident memory.
enum BenchIteration {
    /// The JSON keys of `--json`.
    struct Result: Codable {
        /// Upstream's MT_FRAMEWORK name (`MDis`, `MTKT`, …).
        var framework: String
        var targets: Int
        var model: String
        /// Input size `HxW` of every batch.
        var size: String
        var threads: Int
        /// The convolution GEMMs' precision (`--precision`): fp32 or bf16.
        var precision: String = "fp32"
        /// Minimum seconds of one iteration.
        var iteration_s: Double
        /// Peak resident set size while building the state and running the iterations, MiB.
        var peak_rss_mib: Double
        /// Parameter scalars of the segmenter (as PyTorch counts them) and the discriminators.
        var parameters: Int
        /// The last iteration's losses under upstream's names (spec §5.5).
        var losses: [String: Double]
    }

    /// Discriminator base width: DISCRIMINATOR_NDF's default (upstream's 64, spec §3).
    static let ndf = MTAFConfig().discriminatorNDF

    static func run(framework: TrainingFrameworkKind, targets: Int, model: BenchModelChoice, size: BenchSize,
                    threads: Int, reps: Int, json: Bool) throws {
        ActivationMemory.keepFreedPages()
        let result = try measure(framework: framework, targets: targets, model: model, size: size,
                                 threads: threads, reps: reps, progress: !json)
        if json {
            print(BenchJSON.line(result))
        } else {
            let losses = result.losses.sorted { $0.key < $1.key }
                .map { "\($0.key) \(String(format: "%.3f", $0.value))" }.joined(separator: ", ")
            print(String(format: "%@ T=%d, %@ at %@: %d threads, %@ convolutions, %d parameters, iteration %.3f s, peak RSS %.0f MiB",
                         result.framework, result.targets, result.model, result.size, result.threads,
                         result.precision, result.parameters, result.iteration_s, result.peak_rss_mib))
            print("  last losses: \(losses)")
        }
    }

    static func measure(framework: TrainingFrameworkKind, targets: Int, model: BenchModelChoice, size: BenchSize,
                        threads: Int, reps: Int, progress: Bool) throws -> Result {
        BenchMemory.resetPeakRSS()
        let hyperParameters = TrainingHyperParameters(classes: model.configuration.classes, targetCount: targets)
        let state = try TrainingState.initialized(
            framework: framework, hyperParameters: hyperParameters, blocks: model.configuration.blocks,
            width: model.width, ndf: ndf, random: RandomStream(seed: UInt64(MTAFConfig().train.randomSeed)).split(index: 0))
        let trainer = try TrainingFrameworks.make(state)
        let batch = randomBatch(targets: targets, size: size, classes: hyperParameters.classes, seed: 2)
        if progress {
            FileHandle.standardError.write(Data("  \(framework) T=\(targets), \(model.name) at \(size): \(reps) + 1 iterations\n".utf8))
        }
        var last: IterationLosses?
        var failure: (any Error)?
        let ms = BenchTiming.minMs(reps: reps) {
            guard failure == nil else { return }
            do {
                last = try trainer.trainIteration(on: batch)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        let parameters = state.segmenter.stateDict.parameterScalarCount
            + state.discriminators.reduce(0) { $0 + $1.model.parameters.scalarCount }
        return Result(framework: framework.rawValue, targets: targets, model: model.name, size: size.description,
                      threads: threads, precision: ConvolutionPrecision.current.rawValue,
                      iteration_s: ms / 1000, peak_rss_mib: BenchMemory.peakRSSMiB(),
                      parameters: parameters,
                      losses: Dictionary(uniqueKeysWithValues: (last?.entries ?? []).map { ($0.name, $0.value) }))
    }

    /// The in-memory stand-in for `TrainingData.next()`: a source image (normal, σ 60, roughly
    /// the range of mean-subtracted pixels, spec §7.1) with uniform random labels in [0, C), and
    /// one such image per target, each [1, 3, H, W].
    static func randomBatch(targets: Int, size: BenchSize, classes: Int, seed: UInt64) -> TrainingBatch {
        var random = RandomStream(seed: seed)
        func image() -> Tensor {
            let tensor = Tensor(shape: [1, 3, size.height, size.width])
            random.fillNormal(tensor, mean: 0, std: 60)
            return tensor
        }
        let source = image()
        let labels = (0..<(size.height * size.width)).map { _ in Int32(random.nextInt(below: classes)) }
        return TrainingBatch(sourceImages: source, sourceLabels: labels, targetImages: (0..<targets).map { _ in image() })
    }
}
