import ArgumentParser
import Foundation
import MTAFNet
#if canImport(Glibc)
import Glibc
#endif

/// `mtaf-mpi bench model`: the whole DeepLab-v2 segmenter (multi-level, 7 classes) at `--size`
/// (320×640 by default), batch 1: an eval-mode forward, a training step (train-mode forward,
/// CE(up(main)) + 0.1·CE(up(aux)) at the input size, backward into the parameter gradients) and,
/// with `--measure eval`, the evaluation of one image as `mtaf-mpi test` does it (eval forward
/// of the main level, bilinear upsampling to the input size, argmax; spec §8 steps 1–5) as
/// images/s; with the peak resident memory of each model. Models: ResNet-101 at width 64 (the
/// real one) and width 16. The allocator keeps freed pages (`ActivationMemory.keepFreedPages`),
/// as the trainer does.
enum BenchModel {
    /// What `bench model` times.
    enum Measure: String, CaseIterable, Sendable {
        /// Eval-mode forward (both levels).
        case forward
        /// Training step: train-mode forward, CE main + 0.1 aux, backward.
        case step
        /// Evaluation of one image: forward of the main level, upsampling, argmax.
        case eval
    }

    /// A comma-separated list of measures (`forward,step,eval`).
    struct Measures: ExpressibleByArgument, Sendable {
        var set: Set<Measure>

        init(_ set: Set<Measure>) { self.set = set }

        init?(argument: String) {
            var set = Set<Measure>()
            for part in argument.split(separator: ",") {
                guard let measure = Measure(rawValue: part.trimmingCharacters(in: .whitespaces)) else { return nil }
                set.insert(measure)
            }
            if set.isEmpty { return nil }
            self.set = set
        }

        var defaultValueDescription: String {
            Measure.allCases.filter(set.contains).map(\.rawValue).joined(separator: ",")
        }

        /// Today's default: the forward and the training step.
        static let standard = Measures([.forward, .step])
    }

    /// One model's measurement (the JSON keys of `--json`); a measure not run is absent.
    struct Result: Codable {
        var model: String
        /// Input size `HxW`.
        var size: String
        var threads: Int
        /// The convolution GEMMs' precision (`--precision`): fp32 or bf16.
        var precision: String = "fp32"
        /// Minimum seconds of one eval forward.
        var forward_s: Double?
        /// Minimum seconds of one training step (forward, loss, backward).
        var step_s: Double?
        /// Minimum seconds to evaluate one image (forward, upsampling, argmax).
        var eval_s: Double?
        /// 1 / eval_s.
        var eval_images_per_s: Double?
        /// Peak resident set size while building and running this model, MiB.
        var peak_rss_mib: Double
        var parameters: Int
    }

    /// The measured models, smallest first (the peak-RSS reset cannot undo a larger earlier peak
    /// that the allocator keeps).
    static let cases: [BenchModelChoice] = [.w16, .r101]

    static let batch = 1

    /// Runs the selected models (`model` nil: every case whose name contains `only`).
    static func run(threads: Int, reps: Int, only: String?, model: BenchModelChoice?, size: BenchSize,
                    measures: Measures, json: Bool) throws {
        ActivationMemory.keepFreedPages()
        let selected = cases.filter { c in
            (model.map { $0 == c } ?? true) && (only.map { c.name.contains($0) } ?? true)
        }
        for c in selected {
            let result = measure(c, size: size, threads: threads, reps: reps, measures: measures.set, progress: !json)
            if json {
                print(BenchJSON.line(result))
            } else {
                var parts = ["\(result.model) at \(result.size): \(result.threads) threads, \(result.precision) convolutions, "
                    + "\(result.parameters) parameters"]
                if let s = result.forward_s { parts.append(String(format: "forward %.3f s", s)) }
                if let s = result.step_s { parts.append(String(format: "step %.3f s", s)) }
                if let s = result.eval_s, let rate = result.eval_images_per_s {
                    parts.append(String(format: "eval %.3f s (%.3f images/s)", s, rate))
                }
                parts.append(String(format: "peak RSS %.0f MiB", result.peak_rss_mib))
                print(parts.joined(separator: ", "))
            }
        }
    }

    static func measure(_ choice: BenchModelChoice, size: BenchSize, threads: Int, reps: Int,
                        measures: Set<Measure>, progress: Bool) -> Result {
        BenchMemory.resetPeakRSS()
        let (height, width) = (size.height, size.width)
        let configuration = choice.configuration
        let model = DeepLabV2(configuration, random: RandomStream(seed: 1))
        var random = RandomStream(seed: 2)
        let input = Tensor(shape: [batch, 3, height, width])
        random.fillNormal(input, mean: 0, std: 60)
        let labels = (0..<(batch * height * width)).map { _ in Int32(random.nextInt(below: configuration.classes)) }
        var result = Result(model: choice.name, size: size.description, threads: threads,
                            precision: ConvolutionPrecision.current.rawValue,
                            peak_rss_mib: 0, parameters: model.stateDict.parameterScalarCount)
        func note(_ what: String) {
            if progress { FileHandle.standardError.write(Data("  \(choice.name) at \(size): \(what)\n".utf8)) }
        }
        if measures.contains(.forward) {
            note("forward")
            result.forward_s = BenchTiming.minMs(reps: reps) {
                _ = model.forward(input, training: false)
            } / 1000
        }
        if measures.contains(.step) {
            note("training step")
            result.step_s = BenchTiming.minMs(reps: reps) {
                model.parameters.zeroGradients()
                trainingStep(model, input: input, labels: labels)
            } / 1000
        }
        if measures.contains(.eval) {
            note("evaluation")
            // `mtaf-mpi test`'s own per-image path (Evaluator.confusion without the counting).
            let models = [WeightedSegmenter(.deepLabV2(model))]
            let seconds = BenchTiming.minMs(reps: reps) {
                _ = Evaluator.predict(models: models, input: input, classCount: configuration.classes,
                                      height: height, width: width)
            } / 1000
            result.eval_s = seconds
            result.eval_images_per_s = 1 / seconds
        }
        result.peak_rss_mib = BenchMemory.peakRSSMiB()
        return result
    }

    /// The measured training step without zeroing: forward in training mode, CE(up(main)) +
    /// 0.1·CE(up(aux)) at the input size, backward into the parameter gradients.
    static func trainingStep(_ model: DeepLabV2, input: Tensor, labels: [Int32]) {
        let (height, width) = (input.shape[2], input.shape[3])
        let (aux, main) = model.forward(input, training: true)
        let gradMain = lossGradient(main, labels: labels, weight: 1, height: height, width: width)
        let gradAux = aux.map { lossGradient($0, labels: labels, weight: 0.1, height: height, width: width) }
        model.backward(gradAux: gradAux, gradMain: gradMain)
    }

    /// weight · dCE(up(logits))/dlogits, up = bilinear (align_corners) to height×width.
    static func lossGradient(_ logits: Tensor, labels: [Int32], weight: Float, height: Int, width: Int) -> Tensor {
        let (n, c, h, w) = (logits.shape[0], logits.shape[1], logits.shape[2], logits.shape[3])
        let up = Tensor(shape: [n, c, height, width])
        let gradUp = Tensor(shape: up.shape)
        let grad = Tensor(shape: logits.shape)
        logits.withUnsafeBufferPointer { x in
            up.withUnsafeMutableBufferPointer { u in
                bilinearResizeForward(output: u.baseAddress!, input: x.baseAddress!, batch: n, channels: c,
                                      inputHeight: h, inputWidth: w, outputHeight: height, outputWidth: width)
                gradUp.withUnsafeMutableBufferPointer { gu in
                    labels.withUnsafeBufferPointer { lab in
                        _ = crossEntropy2dLoss(gradLogits: gu.baseAddress!, logits: u.baseAddress!,
                                               labels: lab.baseAddress!, scale: weight, batch: n,
                                               channels: c, height: height, width: width)
                    }
                    grad.withUnsafeMutableBufferPointer { g in
                        bilinearResizeBackwardData(gradInput: g.baseAddress!, gradOutput: gu.baseAddress!,
                                                   batch: n, channels: c, inputHeight: h, inputWidth: w,
                                                   outputHeight: height, outputWidth: width)
                    }
                }
            }
        }
        return grad
    }
}

/// Peak resident memory of the bench process.
enum BenchMemory {
    /// Resets the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux ≥ 4.0).
    static func resetPeakRSS() {
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write(Data("5".utf8))
            try? handle.close()
        }
    }

    /// VmHWM from /proc/self/status, or getrusage's ru_maxrss where that is unavailable, in MiB.
    static func peakRSSMiB() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kb = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return kb / 1024
        }
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}

/// One JSON object per line, keys sorted (what `bench/compare` reads).
enum BenchJSON {
    static func line<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            preconditionFailure("BenchJSON: \(error)")
        }
    }
}
