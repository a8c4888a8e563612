// The seam where a multi-process trainer combines gradients (design §3): called once per
// iteration after every backward pass and before any optimizer step. In a world of one there is
// nothing to combine.

/// Combines the iteration's gradients across processes before the optimizer steps.
///
/// Contract for implementations (design §3, spec §5.6): the segmenter's gradient must become the
/// sum over all passes of the iteration; shared parameters are allreduced over the world and
/// hosted ones within their target group; a term several ranks computed redundantly is scaled
/// by 1/(number of ranks computing it). The store's "received" flags must end up as in the
/// single-process iteration (`ParameterStore.markGradientReceived`).
public protocol GradientSynchronizer: AnyObject {
    /// Makes every gradient of `state` the iteration's global gradient.
    ///
    /// - Throws: a communication error.
    func synchronizeGradients(of state: TrainingState) throws
}

/// The world of one: every gradient is already global, so this does nothing.
public final class LocalGradientSynchronizer: GradientSynchronizer {
    public init() {}

    public func synchronizeGradients(of state: TrainingState) throws {}
}
