// MTAFConfig+Fields: the schema: every key, in the order upstream's config.py defines them
// (spec §6.2), then ours. Loading, overrides and writing all walk this one table.

extension MTAFConfig {
    /// The sections that hold keys (a top-level key whose value is a mapping).
    static let sectionNames = ["TRAIN", "TEST", "DIST", "LOG"]

    /// Every key of the configuration, in writing order.
    static var fields: [ConfigField] {
        [
            .string("SOURCE", \.source),
            .strings("TARGETS", \.targets),
            .int("NUM_WORKERS", \.numWorkers),
            .string("DATA_LIST_SOURCE", \.dataListSource),
            .strings("DATA_LIST_TARGET", \.dataListTarget),
            .string("DATA_DIRECTORY_SOURCE", \.dataDirectorySource),
            .strings("DATA_DIRECTORY_TARGET", \.dataDirectoryTarget),
            .int("NUM_CLASSES", \.numClasses),
            .string("EXP_NAME", \.expName),
            .string("EXP_ROOT", \.expRoot),
            .string("EXP_ROOT_SNAPSHOT", \.expRootSnapshot),
            .string("EXP_ROOT_LOGS", \.expRootLogs),
            .int("GPU_ID", \.gpuID),
            .int("MODEL_WIDTH", \.modelWidth),
            .ints("MODEL_BLOCKS", \.modelBlocks),
            .int("DISCRIMINATOR_NDF", \.discriminatorNDF),
            .string("SGD_REPEAT", \.sgdRepeat),

            .string("TRAIN.SET_SOURCE", \.train.setSource),
            .strings("TRAIN.SET_TARGET", \.train.setTarget),
            .int("TRAIN.BATCH_SIZE_SOURCE", \.train.batchSizeSource),
            .int("TRAIN.BATCH_SIZE_TARGET", \.train.batchSizeTarget),
            .int("TRAIN.IGNORE_LABEL", \.train.ignoreLabel),
            .ints("TRAIN.INPUT_SIZE_SOURCE", \.train.inputSizeSource),
            .ints("TRAIN.INPUT_SIZE_TARGET", \.train.inputSizeTarget),
            .string("TRAIN.INFO_SOURCE", \.train.infoSource),
            .strings("TRAIN.INFO_TARGET", \.train.infoTarget),
            .string("TRAIN.MODEL", \.train.model),
            .bool("TRAIN.MULTI_LEVEL", \.train.multiLevel),
            .string("TRAIN.MT_FRAMEWORK", \.train.mtFramework),
            .string("TRAIN.RESTORE_FROM", \.train.restoreFrom),
            .float32s("TRAIN.IMG_MEAN", \.train.imgMean),
            .float("TRAIN.LEARNING_RATE", \.train.learningRate),
            .float("TRAIN.MOMENTUM", \.train.momentum),
            .float("TRAIN.WEIGHT_DECAY", \.train.weightDecay),
            .float("TRAIN.POWER", \.train.power),
            .float("TRAIN.LAMBDA_SEG_MAIN", \.train.lambdaSegMain),
            .float("TRAIN.LAMBDA_SEG_AUX", \.train.lambdaSegAux),
            .float("TRAIN.LAMBDA_KL_TARGET", \.train.lambdaKLTarget),
            .float("TRAIN.LEARNING_RATE_D", \.train.learningRateD),
            .float("TRAIN.LAMBDA_ADV_MAIN", \.train.lambdaAdvMain),
            .float("TRAIN.LAMBDA_ADV_AUX", \.train.lambdaAdvAux),
            .float("TRAIN.LAMBDA_ENT_MAIN", \.train.lambdaEntMain),
            .float("TRAIN.LAMBDA_ENT_AUX", \.train.lambdaEntAux),
            .int("TRAIN.MAX_ITERS", \.train.maxIters),
            .int("TRAIN.EARLY_STOP", \.train.earlyStop),
            .int("TRAIN.SAVE_PRED_EVERY", \.train.savePredEvery),
            .string("TRAIN.SNAPSHOT_DIR", \.train.snapshotDir),
            .int("TRAIN.RANDOM_SEED", \.train.randomSeed),
            .int("TRAIN.TEACHER_ITERS", \.train.teacherIters),
            .string("TRAIN.TEACHER_LOSS", \.train.teacherLoss),
            .bool("TRAIN.AMP", \.train.amp),
            .string("TRAIN.AMP_OPTIM", \.train.ampOptim),
            .int("TRAIN.TENSORBOARD_VIZRATE", \.train.tensorboardVizrate),

            .string("TEST.MODE", \.test.mode),
            .strings("TEST.MODEL", \.test.model),
            .floats("TEST.MODEL_WEIGHT", \.test.modelWeight),
            .bools("TEST.MULTI_LEVEL", \.test.multiLevel),
            .float32s("TEST.IMG_MEAN", \.test.imgMean),
            .strings("TEST.RESTORE_FROM", \.test.restoreFrom),
            .strings("TEST.SNAPSHOT_DIR", \.test.snapshotDir),
            .int("TEST.SNAPSHOT_STEP", \.test.snapshotStep),
            .int("TEST.SNAPSHOT_MAXITER", \.test.snapshotMaxIter),
            .strings("TEST.SET_TARGET", \.test.setTarget),
            .int("TEST.BATCH_SIZE_TARGET", \.test.batchSizeTarget),
            .ints("TEST.INPUT_SIZE_TARGET", \.test.inputSizeTarget),
            .ints("TEST.OUTPUT_SIZE_TARGET", \.test.outputSizeTarget),
            .strings("TEST.INFO_TARGET", \.test.infoTarget),
            .bool("TEST.WAIT_MODEL", \.test.waitModel),
            .bool("TEST.SCALE_LABEL", \.test.scaleLabel),
            .bool("TEST.AMP", \.test.amp),

            .string("DIST.SOURCE_MODE", \.dist.sourceMode),
            .int("DIST.THREADS_PER_RANK", \.dist.threadsPerRank),
            .float("DIST.BUCKET_MB", \.dist.bucketMB),
            .bool("DIST.CHECKED_COLLECTIVES", \.dist.checkedCollectives),
            .float("DIST.TIMEOUT_S", \.dist.timeoutS),
            .bool("DIST.DETERMINISTIC", \.dist.deterministic),

            .int("LOG.EVERY", \.log.every),
            .bool("LOG.TENSORBOARD", \.log.tensorboard),
        ]
    }

    /// Every key path, in writing order ("SOURCE", …, "TRAIN.LEARNING_RATE", …).
    public static var keyPaths: [String] { fields.map(\.path) }

    /// The value of a key, by its full path; nil for an unknown path.
    public func value(at path: String) -> ConfigValue? {
        Self.fields.first { $0.path == path }?.get(self)
    }

    /// The type of a key, by its full path; nil for an unknown path.
    public static func type(at path: String) -> ConfigType? {
        fields.first { $0.path == path }?.type
    }
}
