import Foundation
import MTAFNet
#if canImport(Glibc)
import Glibc
#endif

/// `mtaf-mpi bench model`: the whole DeepLab-v2 segmenter (multi-level, 7 classes) at 320×640,
/// batch 1: an eval-mode forward, and a training step (train-mode forward, CE(up(main)) +
/// 0.1·CE(up(aux)) at the input size, backward into the parameter gradients), with the peak
/// resident memory of each model. Models: ResNet-101 at width 64 (the real one) and width 16.
/// The allocator keeps freed pages (`ActivationMemory.keepFreedPages`), as the trainer should.
enum BenchModel {
    /// One model's measurement (the JSON keys of `--json`).
    struct Result: Codable {
        var model: String
        var threads: Int
        /// Minimum seconds of one eval forward.
        var forward_s: Double
        /// Minimum seconds of one training step (forward, loss, backward).
        var step_s: Double
        /// Peak resident set size while building and running this model, MiB.
        var peak_rss_mib: Double
        var parameters: Int
    }

    /// The measured models, smallest first (the peak-RSS reset cannot undo a larger earlier peak
    /// that the allocator keeps).
    static let cases: [(name: String, configuration: DeepLabV2Configuration)] = [
        ("deeplabv2-r101-w16", .resNet101(classes: 7, width: 16)),
        ("deeplabv2-r101-w64", .resNet101(classes: 7, width: 64)),
    ]

    static let height = 320, width = 640, batch = 1

    static func run(threads: Int, reps: Int, only: String?, json: Bool) throws {
        ActivationMemory.keepFreedPages()
        for c in cases where only.map({ c.name.contains($0) }) ?? true {
            let result = measure(c.name, c.configuration, threads: threads, reps: reps, progress: !json)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(result), as: UTF8.self))
            } else {
                print(String(format: "%@: %d threads, %d parameters, forward %.3f s, step %.3f s, peak RSS %.0f MiB",
                             result.model, result.threads, result.parameters, result.forward_s, result.step_s,
                             result.peak_rss_mib))
            }
        }
    }

    static func measure(_ name: String, _ configuration: DeepLabV2Configuration, threads: Int, reps: Int,
                        progress: Bool) -> Result {
        resetPeakRSS()
        let model = DeepLabV2(configuration, random: RandomStream(seed: 1))
        var random = RandomStream(seed: 2)
        let input = Tensor(shape: [batch, 3, height, width])
        random.fillNormal(input, mean: 0, std: 60)
        let labels = (0..<(batch * height * width)).map { _ in Int32(random.nextInt(below: configuration.classes)) }
        if progress { FileHandle.standardError.write(Data("  \(name): forward\n".utf8)) }
        let forwardMs = BenchTiming.minMs(reps: reps) {
            _ = model.forward(input, training: false)
        }
        if progress { FileHandle.standardError.write(Data("  \(name): training step\n".utf8)) }
        let stepMs = BenchTiming.minMs(reps: reps) {
            model.parameters.zeroGradients()
            let (aux, main) = model.forward(input, training: true)
            let gradMain = lossGradient(main, labels: labels, weight: 1)
            let gradAux = aux.map { lossGradient($0, labels: labels, weight: 0.1) }
            model.backward(gradAux: gradAux, gradMain: gradMain)
        }
        return Result(model: name, threads: threads, forward_s: forwardMs / 1000, step_s: stepMs / 1000,
                      peak_rss_mib: peakRSSMiB(), parameters: model.stateDict.parameterScalarCount)
    }

    /// weight · dCE(up(logits))/dlogits, up = bilinear (align_corners) to the input size.
    static func lossGradient(_ logits: Tensor, labels: [Int32], weight: Float) -> Tensor {
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
