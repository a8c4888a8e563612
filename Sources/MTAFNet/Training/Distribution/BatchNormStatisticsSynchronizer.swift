// The seam for BatchNorm running statistics (spec §2.7, architecture §3.7). In one process each
// train-mode forward applies its EMA update itself, in upstream order (source, target 0, …,
// target T−1) because the passes run in that order. A multi-process trainer instead defers the
// update in the forward (`BatchNorm2dLayer.defersRunningStatistics`), collects each pass's batch
// mean and unbiased variance after the forward, allgathers them and applies the EMA in upstream
// order on every rank.

/// Keeps the segmenter's BN running statistics on upstream's EMA sequence. Spec §2.7.
public protocol BatchNormStatisticsSynchronizer: AnyObject {
    /// Called once before the first iteration with every BN layer of the segmenter (e.g. to set
    /// `defersRunningStatistics`).
    func prepare(_ layers: [BatchNorm2dLayer])
    /// Called after each train-mode segmenter forward of the iteration, before its backward;
    /// each layer's `lastBatchMean` / `lastBatchUnbiasedVariance` hold that forward's statistics.
    func forwardDidRun(_ pass: SegmenterPassKind, layers: [BatchNorm2dLayer])
    /// Called once per iteration after the last segmenter pass and before the optimizer steps.
    ///
    /// - Throws: a communication error.
    func passesDidFinish(layers: [BatchNorm2dLayer]) throws
}

/// One process: the forward applies the EMA itself (PyTorch's behaviour), nothing else to do.
public final class InForwardBatchNormStatistics: BatchNormStatisticsSynchronizer {
    public init() {}

    public func prepare(_ layers: [BatchNorm2dLayer]) {
        for layer in layers { layer.defersRunningStatistics = false }
    }

    public func forwardDidRun(_ pass: SegmenterPassKind, layers: [BatchNorm2dLayer]) {}

    public func passesDidFinish(layers: [BatchNorm2dLayer]) throws {}
}
