// MTAFConfig.framework: TRAIN.MT_FRAMEWORK as the framework it names (spec §5, §10).

extension MTAFConfig {
    /// TRAIN.MT_FRAMEWORK as a `TrainingFrameworkKind` (valid after `finalize`).
    public var framework: TrainingFrameworkKind {
        guard let framework = TrainingFrameworkKind(rawValue: train.mtFramework) else {
            preconditionFailure("TRAIN.MT_FRAMEWORK '\(train.mtFramework)' was not validated")
        }
        return framework
    }
}
