// MTAFConfig.SGDRepeat: our SGD_REPEAT switch for upstream's repeated backbone updates (spec §4.8).

extension MTAFConfig {
    /// A value of SGD_REPEAT (spec §4.8).
    public enum SGDRepeat: String, Sendable, CaseIterable {
        /// `repeated` when TRAIN.AMP is false, `single` when it is true (what produced each
        /// published number).
        case auto
        /// Every listing of a backbone parameter is a full SGD update (PyTorch 1.3.1, no AMP).
        case repeated
        /// One update per parameter per step (apex AMP O2).
        case single

        /// The optimizer's repetition mode, `auto` resolved from TRAIN.AMP (spec §4.8).
        public func repetition(amp: Bool) -> SGD.Repetition {
            switch self {
            case .auto: .auto(amp: amp)
            case .repeated: .repeated
            case .single: .single
            }
        }
    }

    /// SGD_REPEAT as an enum (valid after `finalize`).
    public var sgdRepeatMode: SGDRepeat {
        guard let mode = SGDRepeat(rawValue: sgdRepeat) else {
            preconditionFailure("SGD_REPEAT '\(sgdRepeat)' was not validated")
        }
        return mode
    }

    /// The optimizer's repetition mode: SGD_REPEAT with `auto` resolved from TRAIN.AMP (spec §4.8).
    public var sgdRepetition: SGD.Repetition { sgdRepeatMode.repetition(amp: train.amp) }
}
