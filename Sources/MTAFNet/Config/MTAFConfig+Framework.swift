// MTAFConfig.Framework: the training frameworks TRAIN.MT_FRAMEWORK names (spec §5, §10).

extension MTAFConfig {
    /// A value of TRAIN.MT_FRAMEWORK (spec §5; SourceOnly and MinEnt are ours, spec §10).
    public enum Framework: String, Sendable, CaseIterable {
        /// Spec §5.1: targets share one D_main and one D_aux.
        case baseline = "Baseline"
        /// Spec §5.2: one discriminator pair per target plus target-vs-target discriminators.
        case mdis = "MDis"
        /// Spec §5.3: DeepLabv2MTKT, per-target teachers distilled into the student.
        case mtkt = "MTKT"
        /// Spec §5.4: source cross-entropy only.
        case sourceOnly = "SourceOnly"
        /// Spec §5.4: ADVENT's entropy minimization, no discriminator.
        case minEnt = "MinEnt"
    }

    /// TRAIN.MT_FRAMEWORK as an enum (valid after `finalize`).
    public var framework: Framework {
        guard let framework = Framework(rawValue: train.mtFramework) else {
            preconditionFailure("TRAIN.MT_FRAMEWORK '\(train.mtFramework)' was not validated")
        }
        return framework
    }
}
