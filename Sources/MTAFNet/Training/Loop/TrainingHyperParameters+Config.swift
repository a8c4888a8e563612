// TrainingHyperParameters from a loaded MTAF config (spec §6.2; SGD_REPEAT spec §4.8).

extension TrainingHyperParameters {
    /// The hyper-parameters a finalized config names: NUM_CLASSES, len(TARGETS) and the
    /// TRAIN.* values, with SGD_REPEAT's `auto` resolved from TRAIN.AMP (spec §4.8).
    ///
    /// - Parameter config: a config after `finalize` (validated).
    public init(config: MTAFConfig) {
        let train = config.train
        self.init(classes: config.numClasses, targetCount: config.targetCount,
                  multiLevel: train.multiLevel,
                  learningRate: train.learningRate, learningRateD: train.learningRateD,
                  momentum: train.momentum, weightDecay: train.weightDecay, power: train.power,
                  maxIterations: train.maxIters, teacherIterations: train.teacherIters,
                  lambdaSegMain: train.lambdaSegMain, lambdaSegAux: train.lambdaSegAux,
                  lambdaAdvMain: train.lambdaAdvMain, lambdaAdvAux: train.lambdaAdvAux,
                  lambdaKLTarget: train.lambdaKLTarget,
                  lambdaEntMain: train.lambdaEntMain, lambdaEntAux: train.lambdaEntAux,
                  sgdRepetition: config.sgdRepetition)
    }
}
