// A BatchNorm2d module with frozen affine parameters (spec §2.7) over the `Ops/BatchNorm`
// functions. Its weight, bias, running_mean and running_var are views of a store of frozen
// tensors (in the state dict, never in an optimizer); num_batches_tracked is held here.
//
// Sizes: N batch, C channels, H×W map. Input and output [N, C, H, W]; every per-channel
// vector [C]. What the backward needs from the forward: the input (a reference), the batch
// mean and 1/√(σ²_B + eps) (train mode), or nothing beyond the running variance (eval mode);
// with a fused ReLU (`appliesReLU`) also the output (a reference), whose sign is the ReLU's mask.

/// BatchNorm2d (eps 1e-5, momentum 0.1) with explicit forward and backward (architecture §2.1).
///
/// Train mode normalizes with the batch statistics and, unless `defersRunningStatistics` is set,
/// applies the running-statistics EMA and adds 1 to `numBatchesTracked` in the forward (always
/// from the Float32 statistics in `lastBatchMean` / `lastBatchUnbiasedVariance`, so an immediate
/// and a deferred update are bit-identical). With
/// `defersRunningStatistics` the forward leaves them alone; the caller (the distributed trainer,
/// architecture §3.7) reads `lastBatchMean` / `lastBatchUnbiasedVariance`, gathers them across ranks and
/// calls `applyRunningStatisticsUpdate` in upstream order. Spec §2.7 (PyTorch `nn.BatchNorm2d`).
public final class BatchNorm2dLayer {
    /// The module's key prefix, e.g. `layer1.0.bn1`.
    public let key: String
    /// C.
    public let channels: Int
    /// The store of frozen tensors holding weight, bias, running_mean, running_var.
    public let store: ParameterStore
    /// γ [C] (frozen).
    public let weight: ParameterID
    /// β [C] (frozen).
    public let bias: ParameterID
    /// running_mean [C].
    public let runningMean: ParameterID
    /// running_var [C].
    public let runningVar: ParameterID
    /// num_batches_tracked (int64 in the state dict).
    public var numBatchesTracked: Int64 = 0
    /// When true, a train-mode forward does not touch the running statistics (see the type doc).
    public var defersRunningStatistics = false
    /// μ_B [C] of the last train-mode forward.
    public let lastBatchMean: Tensor
    /// Σ(x − μ_B)²/(m − 1) [C] of the last train-mode forward (m = N·H·W).
    public let lastBatchUnbiasedVariance: Tensor
    private let savedInvStd: Tensor
    private var savedInput: Tensor?
    private var savedReLUOutput: Tensor?
    private var savedTraining = false

    /// Registers weight, bias, running_mean, running_var (in `store`) and num_batches_tracked
    /// in `stateDict`, in PyTorch's order, with their initial values (1, 0, 0, 1, 0; spec §2.8).
    public init(key: String, channels: Int, store: ParameterStore, storePrefix: String = "",
                stateDict: StateDict) {
        precondition(channels > 0, "BatchNorm2dLayer \(key): channels must be positive")
        self.key = key
        self.channels = channels
        self.store = store
        func add(_ name: String) -> ParameterID {
            stateDict.register(key: key + "." + name, shape: [channels], in: store,
                               storePrefix: storePrefix, isTrainable: false,
                               isBuffer: name.hasPrefix("running_"))
        }
        weight = add("weight")
        bias = add("bias")
        runningMean = add("running_mean")
        runningVar = add("running_var")
        lastBatchMean = Tensor(shape: [channels])
        lastBatchUnbiasedVariance = Tensor(shape: [channels])
        savedInvStd = Tensor(shape: [channels])
        stateDict.append(key: key + ".num_batches_tracked", shape: [], slot: .counter(self),
                         isTrainable: false, isBuffer: true)
        resetParameters()
    }

    /// weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0 (spec §2.8).
    public func resetParameters() {
        store.withValuePointers([weight, bias, runningMean, runningVar]) { p in
            for c in 0..<channels {
                p[0][c] = 1
                p[1][c] = 0
                p[2][c] = 0
                p[3][c] = 1
            }
        }
        numBatchesTracked = 0
    }

    /// Whether a forward's input is held for a backward.
    public var hasRetainedForward: Bool { savedInput != nil }

    /// Normalizes `input` with the batch statistics (training) or the running statistics (eval),
    /// optionally followed by a ReLU in the same pass (`nn.ReLU` after the BatchNorm; its
    /// backward then runs inside this layer's `backward`).
    ///
    /// - Parameters:
    ///   - input: [N, C, H, W].
    ///   - training: train mode (batch statistics, EMA unless deferred) or eval mode.
    ///   - retain: keep `input` (and, with `appliesReLU`, the output) by reference for `backward`.
    ///   - overwritingInput: write the result into `input` itself (only without `retain`).
    ///   - appliesReLU: return max(BN(input), 0).
    /// - Returns: [N, C, H, W] (`input` itself when overwriting).
    public func forward(_ input: Tensor, training: Bool, retain: Bool,
                        overwritingInput: Bool = false, appliesReLU: Bool = false) -> Tensor {
        precondition(!(retain && overwritingInput), "BatchNorm2dLayer \(key): cannot retain an overwritten input")
        let (n, h, w) = checkInput(input)
        let output = overwritingInput ? input : Tensor(shape: input.shape)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                store.withValuePointers([weight, bias, runningMean, runningVar]) { p in
                    if training {
                        lastBatchMean.withUnsafeMutableBufferPointer { mean in
                            lastBatchUnbiasedVariance.withUnsafeMutableBufferPointer { variance in
                                savedInvStd.withUnsafeMutableBufferPointer { invStd in
                                    batchNormTrainForward(
                                        output: y.baseAddress!, savedMean: mean.baseAddress!,
                                        savedInvStd: invStd.baseAddress!,
                                        batchUnbiasedVariance: variance.baseAddress!,
                                        runningMean: nil, runningVar: nil,
                                        input: x.baseAddress!, weight: p[0], bias: p[1],
                                        appliesReLU: appliesReLU,
                                        batch: n, channels: channels, height: h, width: w)
                                }
                            }
                        }
                    } else {
                        batchNormEvalForward(output: y.baseAddress!, input: x.baseAddress!,
                                             runningMean: p[2], runningVar: p[3], weight: p[0],
                                             bias: p[1], appliesReLU: appliesReLU,
                                             batch: n, channels: channels, height: h, width: w)
                    }
                }
            }
        }
        if training && !defersRunningStatistics {
            lastBatchMean.withUnsafeBufferPointer { mean in
                lastBatchUnbiasedVariance.withUnsafeBufferPointer { variance in
                    applyRunningStatisticsUpdate(batchMean: mean.baseAddress!,
                                                 batchUnbiasedVariance: variance.baseAddress!)
                }
            }
        }
        savedInput = retain ? input : nil
        savedReLUOutput = retain && appliesReLU ? output : nil
        savedTraining = training
        return output
    }

    /// Backward of the last retained forward (data gradient only: the affine parameters are
    /// frozen), through the fused ReLU first when the forward applied one.
    ///
    /// - Parameters:
    ///   - gradOutput: [N, C, H, W] (not modified unless `overwritingGradOutput`).
    ///   - gradInput: [N, C, H, W] to accumulate into, or nil for a new one.
    ///   - overwritingGradOutput: write the input gradient into `gradOutput` itself (only
    ///     without `gradInput`; for an output gradient nothing reads afterwards).
    ///   - release: drop the retained tensors afterwards.
    /// - Returns: the input gradient (`gradInput` or `gradOutput` itself when given or overwritten).
    @discardableResult
    public func backward(_ gradOutput: Tensor, accumulatingInto gradInput: Tensor? = nil,
                         overwritingGradOutput: Bool = false, release: Bool = true) -> Tensor {
        precondition(!(overwritingGradOutput && gradInput != nil),
                     "BatchNorm2dLayer \(key): cannot both overwrite the output gradient and accumulate")
        precondition(savedInput != nil, "BatchNorm2dLayer \(key): backward without a retained forward")
        let input = savedInput!
        let (n, h, w) = checkInput(input)
        precondition(gradOutput.shape == input.shape,
                     "BatchNorm2dLayer \(key): gradOutput \(gradOutput.shape) is not \(input.shape)")
        // A fresh gradient starts at 0, so it may be written rather than accumulated into, in
        // the output gradient's own buffer when that is allowed (no allocation, no zeroing).
        let gx = gradInput ?? (overwritingGradOutput ? gradOutput : Tensor(shape: input.shape))
        let overwrite = gradInput == nil
        func run(reluOutput: UnsafePointer<Float>?) {
            gx.withUnsafeMutableBufferPointer { dx in
                gradOutput.withUnsafeBufferPointer { gy in
                    input.withUnsafeBufferPointer { x in
                        store.withValuePointers([weight, runningVar]) { p in
                            if savedTraining {
                                lastBatchMean.withUnsafeBufferPointer { mean in
                                    savedInvStd.withUnsafeBufferPointer { invStd in
                                        batchNormTrainBackwardData(
                                            gradInput: dx.baseAddress!, gradOutput: gy.baseAddress!,
                                            reluOutput: reluOutput, overwritesGradInput: overwrite,
                                            input: x.baseAddress!,
                                            savedMean: mean.baseAddress!, savedInvStd: invStd.baseAddress!,
                                            weight: p[0], batch: n, channels: channels, height: h, width: w)
                                    }
                                }
                            } else {
                                batchNormEvalBackwardData(gradInput: dx.baseAddress!, gradOutput: gy.baseAddress!,
                                                          reluOutput: reluOutput, overwritesGradInput: overwrite,
                                                          runningVar: p[1], weight: p[0],
                                                          batch: n, channels: channels, height: h, width: w)
                            }
                        }
                    }
                }
            }
        }
        if let output = savedReLUOutput {
            output.withUnsafeBufferPointer { run(reluOutput: $0.baseAddress!) }
        } else {
            run(reluOutput: nil)
        }
        if release { releaseActivations() }
        return gx
    }

    /// Drops the retained tensors without a backward.
    public func releaseActivations() {
        savedInput = nil
        savedReLUOutput = nil
    }

    /// Applies one running-statistics EMA step (momentum 0.1) from given batch statistics and
    /// adds 1 to `numBatchesTracked`: what a train-mode forward does when not deferred.
    ///
    /// - Parameters:
    ///   - batchMean: [C].
    ///   - batchUnbiasedVariance: [C].
    ///
    /// Spec §2.7, architecture §3.7 (PyTorch `BatchNorm2d` running-statistics update).
    public func applyRunningStatisticsUpdate(batchMean: UnsafePointer<Float>,
                                             batchUnbiasedVariance: UnsafePointer<Float>) {
        store.withValuePointers([runningMean, runningVar]) { p in
            batchNormUpdateRunningStatistics(runningMean: p[0], runningVar: p[1],
                                             batchMean: batchMean,
                                             batchUnbiasedVariance: batchUnbiasedVariance,
                                             channels: channels)
        }
        numBatchesTracked += 1
    }

    private func checkInput(_ input: Tensor) -> (Int, Int, Int) {
        precondition(input.rank == 4 && input.shape[1] == channels,
                     "BatchNorm2dLayer \(key): input \(input.shape), wanted [N, \(channels), H, W]")
        return (input.shape[0], input.shape[2], input.shape[3])
    }
}
