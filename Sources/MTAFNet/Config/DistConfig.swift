// DistConfig: our `DIST` section: how ranks share the work (architecture §3).

import Distributed

/// The `DIST` section of `MTAFConfig` (ours; architecture §3).
public struct DistConfig: Equatable, Sendable {
    /// `SOURCE_MODE`: 'replicate' (every rank runs the same source batch; with one rank per
    /// target the update equals the single-process one) or 'shard' (each rank its own source images).
    public var sourceMode = "replicate"
    /// `THREADS_PER_RANK`: BLAS/compute threads per rank; 0 = cores per node / ranks per node.
    public var threadsPerRank = 0
    /// `BUCKET_MB`: gradient-allreduce bucket cap in megabytes.
    public var bucketMB = 4.0
    /// `CHECKED_COLLECTIVES`: verify every collective's arguments across ranks (slow; debugging).
    public var checkedCollectives = false
    /// `TIMEOUT_S`: seconds a rank waits in one collective before it aborts the job, naming the
    /// ranks that did not arrive (six times as long around setup and the first iteration,
    /// snapshots and evaluation); 0 waits forever.
    public var timeoutS = CollectiveTimeout.defaultSeconds
    /// `DETERMINISTIC`: sum gradients in one canonical order, so that every world size (and
    /// thread count) gives the same bits (architecture §3.12); False: MPI's allreduce in
    /// buckets that overlap the backward (faster on a slow network, reproducible only on the
    /// same layout within float rounding).
    public var deterministic = true

    public init() {}
}

// DistConfig.SourceMode: how the ranks share the source batch (architecture §3.3).

extension DistConfig {
    /// A value of DIST.SOURCE_MODE (architecture §3.3).
    public enum SourceMode: String, Sendable, CaseIterable {
        /// Every rank runs the same source batch; each redundant source term is backpropagated by
        /// one rank only (the shared ones by the last rank, a group's own by its leader), so with
        /// one rank per target the update equals the single-process one.
        case replicate
        /// Each rank draws its own source images (entries r, r+N, … with its own shuffle); shared
        /// source terms are averaged over the N ranks: an N× larger effective source batch.
        case shard
    }

    /// DIST.SOURCE_MODE as an enum (valid after `MTAFConfig.finalize`).
    public var sourceModeValue: SourceMode {
        guard let mode = SourceMode(rawValue: sourceMode) else {
            preconditionFailure("DIST.SOURCE_MODE '\(sourceMode)' was not validated")
        }
        return mode
    }
}
