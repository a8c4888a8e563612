// The seam where a multi-process trainer combines gradients (architecture §3.6): called once per
// iteration after every backward pass and before any optimizer step. In a world of one there is
// nothing to combine.

/// Combines the iteration's gradients across processes before the optimizer steps.
///
/// Contract for implementations (architecture §3.6, spec §5.6): the segmenter's gradient must become the
/// sum over all passes of the iteration; shared parameters are allreduced over the world and
/// hosted ones within their target group; a term a group computes on its own batches is scaled
/// by 1/(group size) and a term it would compute redundantly on the same data is computed once
/// (`TrainingPlacement`). The store's "received" flags must end up as in the single-process
/// iteration (`ParameterStore.markGradientReceived`). `DistributedGradientSynchronizer` is the
/// multi-process implementation.
public protocol GradientSynchronizer: AnyObject {
    /// Makes every gradient of `state` the iteration's global gradient.
    ///
    /// - Throws: a communication error.
    func synchronizeGradients(of state: TrainingState) throws

    /// Runs `backward`, this rank's last backward into the segmenter in the iteration, so that
    /// gradients it finishes can be sent while it goes on (architecture §3.6: buckets overlapping the
    /// backward). It must write each segmenter gradient at most once.
    func finalSegmenterBackward(of state: TrainingState, _ backward: () throws -> Void) throws
}

/// The world of one: every gradient is already global, so this does nothing.
public final class LocalGradientSynchronizer: GradientSynchronizer {
    public init() {}

    public func synchronizeGradients(of state: TrainingState) throws {}

    public func finalSegmenterBackward(of state: TrainingState, _ backward: () throws -> Void) throws {
        try backward()
    }
}
