// TestConfig.Mode: single-checkpoint or best-snapshot evaluation (spec §8).

extension TestConfig {
    /// A value of TEST.MODE (spec §8).
    public enum Mode: String, Sendable, CaseIterable {
        /// Evaluate TEST.RESTORE_FROM (an ensemble when several models are listed).
        case single
        /// Scan TEST.SNAPSHOT_DIR[0]'s snapshots and keep the best per target and on average.
        case best
    }

    /// TEST.MODE as an enum (valid after `MTAFConfig.finalize`).
    public var modeValue: Mode {
        guard let mode = Mode(rawValue: mode) else { preconditionFailure("TEST.MODE '\(mode)' was not validated") }
        return mode
    }
}
