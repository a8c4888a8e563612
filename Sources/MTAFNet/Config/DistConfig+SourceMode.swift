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
