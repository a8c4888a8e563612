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

    /// Runs `backward`, one backward into the segmenter: the pass `pass` of this rank (its last
    /// of the iteration when `isFinal`, whose finished gradients may be sent while it goes on:
    /// architecture §3.6), or one contribution of the canonical sum (architecture §3.12).
    func segmenterBackward(of state: TrainingState, pass: SegmenterPassKind, isFinal: Bool,
                           _ backward: () throws -> Void) throws

    /// Runs `body`, one weight backward into the discriminator of `role` computed on the data
    /// of `contribution` (a contribution of the canonical sum when the discriminator is shared
    /// by the world, architecture §3.12).
    func discriminatorBackward<R>(of state: TrainingState, role: DiscriminatorRole, contribution: SegmenterPassKind,
                                  _ body: () throws -> R) rethrows -> R
}

/// The world of one with DIST.DETERMINISTIC off: every gradient is already global, so this does
/// nothing (the passes accumulate into one buffer in their own order).
public final class LocalGradientSynchronizer: GradientSynchronizer {
    public init() {}

    public func synchronizeGradients(of state: TrainingState) throws {}

    public func segmenterBackward(of state: TrainingState, pass: SegmenterPassKind, isFinal: Bool,
                                  _ backward: () throws -> Void) throws {
        try backward()
    }

    public func discriminatorBackward<R>(of state: TrainingState, role: DiscriminatorRole, contribution: SegmenterPassKind,
                                         _ body: () throws -> R) rethrows -> R {
        try body()
    }
}
