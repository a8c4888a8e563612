// MTAFConfig+Validation: the checks of spec §10 after the merge, and the derived defaults of
// spec §6.4/§6.5 (EXP_NAME, TRAIN.SNAPSHOT_DIR, TEST.SNAPSHOT_DIR[0]).

extension MTAFConfig {
    /// The model names TRAIN.MODEL and TEST.MODEL take: the frameworks' models, sorted.
    public static let modelNames = Set(TrainingFrameworkKind.allCases.map(\.modelName)).sorted()

    /// The per-target lists: one entry per target, or one entry for every target (spec §10).
    static let perTargetPaths = ["DATA_LIST_TARGET", "DATA_DIRECTORY_TARGET", "TRAIN.SET_TARGET",
                                 "TRAIN.INFO_TARGET", "TEST.SET_TARGET", "TEST.INFO_TARGET"]

    /// Validates, expands one-entry per-target lists to one entry per target, and fills in the
    /// derived defaults; idempotent.
    ///
    /// - EXP_NAME empty → `{SOURCE}2{TARGETS joined by +}_{TRAIN.MODEL}_{MT_FRAMEWORK}`; then a
    ///   non-empty `expSuffix` is appended as `_suffix` (spec §6.4).
    /// - TRAIN.SNAPSHOT_DIR empty → EXP_ROOT_SNAPSHOT/EXP_NAME; TEST.SNAPSHOT_DIR[0] empty → the
    ///   same (spec §6.4, §6.5). The folders are not created here.
    public mutating func finalize(expSuffix: String? = nil) throws(ConfigError) {
        try validate()
        for path in Self.perTargetPaths {
            guard case .stringList(let list) = value(at: path), list.count == 1, targetCount > 1 else { continue }
            Self.fields.first { $0.path == path }!.set(&self, .stringList(Array(repeating: list[0], count: targetCount)))
        }
        if expName.isEmpty {
            expName = "\(source)2\(targets.joined(separator: "+"))_\(train.model)_\(train.mtFramework)"
        }
        if let expSuffix, !expSuffix.isEmpty { expName += "_" + expSuffix }
        let snapshots = Self.join(expRootSnapshot, expName)
        if train.snapshotDir.isEmpty { train.snapshotDir = snapshots }
        if test.snapshotDir[0].isEmpty { test.snapshotDir[0] = snapshots }
    }

    /// Checks the merged values against the rules of spec §10 (framework selection, per-target
    /// lists, TEACHER_LOSS, value ranges); throws the first violation.
    public func validate() throws(ConfigError) {
        func invalid(_ path: String, _ reason: String) -> ConfigError {
            .invalidValue(path: path, value: value(at: path).map(Self.render) ?? "?", reason: reason)
        }
        // Targets (spec §10).
        guard !targets.isEmpty else { throw invalid("TARGETS", "name at least one target domain") }
        if targets.contains(where: \.isEmpty) { throw invalid("TARGETS", "a target name is empty") }
        if Set(targets).count != targets.count { throw invalid("TARGETS", "a target is listed twice") }
        // Framework selection (spec §5, §10).
        guard let framework = TrainingFrameworkKind(rawValue: train.mtFramework) else {
            let names = TrainingFrameworkKind.allCases.map(\.rawValue)
            let nearest = EditDistance.nearest(to: train.mtFramework, in: names) ?? names[0]
            throw invalid("TRAIN.MT_FRAMEWORK", "not a framework; use one of \(names.joined(separator: ", ")) (nearest: \(nearest))")
        }
        guard Self.modelNames.contains(train.model) else {
            throw invalid("TRAIN.MODEL", "not a model; use \(Self.modelNames.joined(separator: " or "))")
        }
        if train.model != framework.modelName {
            throw invalid("TRAIN.MODEL", framework.usesMTKTModel
                ? "MT_FRAMEWORK \(framework) needs MODEL \(framework.modelName) (spec \(framework.specSection))"
                : "\(train.model) is the MTKT model; MT_FRAMEWORK \(framework) trains \(framework.modelName)")
        }
        if targetCount < framework.minimumTargetCount {
            throw invalid("TARGETS", "MT_FRAMEWORK \(framework) needs more than one target (spec \(framework.specSection))")
        }
        if train.teacherLoss == "MSE" {
            throw invalid("TRAIN.TEACHER_LOSS", "the MSE teacher loss is broken upstream (it uses an undefined threshold); "
                + "only KL is supported (spec §4.10)")
        }
        if train.teacherLoss != "KL" { throw invalid("TRAIN.TEACHER_LOSS", "only KL is supported (spec §4.4, §4.10)") }

        // Per-target lists (spec §10).
        for path in Self.perTargetPaths {
            guard case .stringList(let list) = value(at: path) else { continue }
            if list.count != 1 && list.count != targetCount {
                throw .perTargetLength(path: path, count: list.count, targets: targetCount)
            }
        }

        // TEST (spec §6.5, §8).
        guard let mode = TestConfig.Mode(rawValue: test.mode) else {
            throw invalid("TEST.MODE", "use single or best")
        }
        if test.model.isEmpty { throw invalid("TEST.MODEL", "name at least one model") }
        for name in test.model where !Self.modelNames.contains(name) {
            throw invalid("TEST.MODEL", "'\(name)' is not a model; use \(Self.modelNames.joined(separator: " or "))")
        }
        if mode == .best && test.model.count != 1 {
            throw invalid("TEST.MODEL", "best mode evaluates exactly one model (spec §6.5)")
        }
        if mode == .single {
            for path in ["TEST.RESTORE_FROM", "TEST.MODEL_WEIGHT", "TEST.MULTI_LEVEL"] {
                let count: Int
                switch value(at: path) {
                case .stringList(let list)?: count = list.count
                case .floatList(let list)?: count = list.count
                case .boolList(let list)?: count = list.count
                default: count = 0
                }
                if count != test.model.count {
                    throw invalid(path, "single mode needs one entry per TEST.MODEL entry (\(test.model.count))")
                }
            }
        }
        if test.snapshotDir.isEmpty { throw invalid("TEST.SNAPSHOT_DIR", "give at least one entry ('' for the default)") }

        // Shapes and ranges.
        for path in ["TRAIN.IMG_MEAN", "TEST.IMG_MEAN"] {
            if case .float32Array(let mean)? = value(at: path), mean.count != 3 {
                throw invalid(path, "give three means (B, G, R)")
            }
        }
        for path in ["TRAIN.INPUT_SIZE_SOURCE", "TRAIN.INPUT_SIZE_TARGET", "TEST.INPUT_SIZE_TARGET", "TEST.OUTPUT_SIZE_TARGET"] {
            if case .intList(let size)? = value(at: path), size.count != 2 || size.contains(where: { $0 < 1 }) {
                throw invalid(path, "give a size as [W, H] with positive integers")
            }
        }
        let atLeastOne = ["NUM_CLASSES", "TRAIN.BATCH_SIZE_SOURCE", "TRAIN.BATCH_SIZE_TARGET", "TRAIN.MAX_ITERS",
                          "TRAIN.SAVE_PRED_EVERY", "TEST.SNAPSHOT_STEP", "TEST.BATCH_SIZE_TARGET", "MODEL_WIDTH",
                          "DISCRIMINATOR_NDF", "LOG.EVERY", "TRAIN.TENSORBOARD_VIZRATE"]
        for path in atLeastOne {
            if case .int(let number)? = value(at: path), number < 1 { throw invalid(path, "must be at least 1") }
        }
        for path in ["NUM_WORKERS", "TRAIN.EARLY_STOP", "TRAIN.TEACHER_ITERS", "DIST.THREADS_PER_RANK"] {
            if case .int(let number)? = value(at: path), number < 0 { throw invalid(path, "must not be negative") }
        }
        if train.earlyStop > train.maxIters {
            throw invalid("TRAIN.EARLY_STOP", "must not exceed TRAIN.MAX_ITERS (\(train.maxIters)): the poly learning-rate "
                          + "schedule ends there (spec §4.5)")
        }
        if test.mode == "single", test.restoreFrom.contains(where: \.isEmpty) {
            throw invalid("TEST.RESTORE_FROM", "single mode needs the path of each checkpoint to evaluate")
        }
        if modelBlocks.count != 4 || modelBlocks.contains(where: { $0 < 1 }) {
            throw invalid("MODEL_BLOCKS", "give four positive block counts, one per ResNet stage")
        }
        for path in ["TRAIN.LEARNING_RATE", "TRAIN.LEARNING_RATE_D"] {
            if case .float(let rate)? = value(at: path), !(rate.isFinite && rate >= 0) {
                throw invalid(path, "a learning rate must be finite and not negative")
            }
        }

        // Ours.
        if SGDRepeat(rawValue: sgdRepeat) == nil {
            throw invalid("SGD_REPEAT", "use \(SGDRepeat.allCases.map(\.rawValue).joined(separator: ", ")) (spec §4.8)")
        }
        if DistConfig.SourceMode(rawValue: dist.sourceMode) == nil {
            throw invalid("DIST.SOURCE_MODE", "use replicate or shard")
        }
        if !(dist.bucketMB.isFinite && dist.bucketMB > 0) { throw invalid("DIST.BUCKET_MB", "must be a positive number") }
        if !(dist.timeoutS.isFinite && dist.timeoutS >= 0) {
            throw invalid("DIST.TIMEOUT_S", "give the seconds a collective may wait (0: no limit)")
        }
    }

    /// `a/b` without doubling a slash (upstream `osp.join`).
    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// A value as YAML flow text, for messages.
    static func render(_ value: ConfigValue) -> String {
        YAMLWriter.flow(value)
    }
}
