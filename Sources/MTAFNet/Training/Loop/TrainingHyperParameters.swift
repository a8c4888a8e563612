// The numbers one training iteration depends on (spec §4.5, §4.6, §4.8, §5, §6.2): loss weights,
// learning rates and their schedule, SGD settings, the MTKT warm-up, the number of targets T
// and classes C. Filled from the YAML config (`init(config:)`) or a fixture sidecar.

/// Hyper-parameters of the training frameworks; defaults are MTAF's, read from `MTAFConfig()`
/// (spec §6.2).
///
/// Scalars are Doubles like upstream's Python floats; the losses and optimizers round them to
/// Float where PyTorch's float32 kernels take them. Spec §4.5, §4.6, §4.8, §5.
public struct TrainingHyperParameters: Sendable, Equatable {
    /// C (NUM_CLASSES).
    public var classes: Int
    /// T (len(TARGETS)); 0 for a source-only run without target data.
    public var targetCount: Int
    /// TRAIN.MULTI_LEVEL: the aux classifier and every aux term exist.
    public var multiLevel: Bool
    /// TRAIN.LEARNING_RATE: the segmenter's base learning rate (group 0; group 1 gets 10×).
    public var learningRate: Double
    /// TRAIN.LEARNING_RATE_D: every discriminator's base learning rate.
    public var learningRateD: Double
    /// TRAIN.MOMENTUM (SGD μ).
    public var momentum: Double
    /// TRAIN.WEIGHT_DECAY (SGD λ).
    public var weightDecay: Double
    /// TRAIN.POWER of the poly schedule.
    public var power: Double
    /// TRAIN.MAX_ITERS of the poly schedule (not EARLY_STOP).
    public var maxIterations: Int
    /// TRAIN.TEACHER_ITERS: MTKT distils only from this iteration on (spec §5.3).
    public var teacherIterations: Int
    /// TRAIN.LAMBDA_SEG_MAIN.
    public var lambdaSegMain: Double
    /// TRAIN.LAMBDA_SEG_AUX (also scales MTKT's aux KL term).
    public var lambdaSegAux: Double
    /// TRAIN.LAMBDA_ADV_MAIN.
    public var lambdaAdvMain: Double
    /// TRAIN.LAMBDA_ADV_AUX.
    public var lambdaAdvAux: Double
    /// TRAIN.LAMBDA_KL_TARGET (MTKT).
    public var lambdaKLTarget: Double
    /// TRAIN.LAMBDA_ENT_MAIN (MinEnt).
    public var lambdaEntMain: Double
    /// TRAIN.LAMBDA_ENT_AUX (MinEnt).
    public var lambdaEntAux: Double
    /// How the repeated backbone listing is stepped (SGD_REPEAT with `auto` resolved, spec §4.8).
    public var sgdRepetition: SGD.Repetition

    /// MTAF's defaults: the values of a default configuration, `MTAFConfig()` (spec §6.2), whose
    /// fields are the one place each default is written.
    public static let mtafDefaults = TrainingHyperParameters(config: MTAFConfig())

    /// The given values; each one left out is MTAF's default (`mtafDefaults`).
    public init(classes: Int = mtafDefaults.classes, targetCount: Int = mtafDefaults.targetCount,
                multiLevel: Bool = mtafDefaults.multiLevel,
                learningRate: Double = mtafDefaults.learningRate, learningRateD: Double = mtafDefaults.learningRateD,
                momentum: Double = mtafDefaults.momentum, weightDecay: Double = mtafDefaults.weightDecay,
                power: Double = mtafDefaults.power, maxIterations: Int = mtafDefaults.maxIterations,
                teacherIterations: Int = mtafDefaults.teacherIterations,
                lambdaSegMain: Double = mtafDefaults.lambdaSegMain, lambdaSegAux: Double = mtafDefaults.lambdaSegAux,
                lambdaAdvMain: Double = mtafDefaults.lambdaAdvMain, lambdaAdvAux: Double = mtafDefaults.lambdaAdvAux,
                lambdaKLTarget: Double = mtafDefaults.lambdaKLTarget,
                lambdaEntMain: Double = mtafDefaults.lambdaEntMain, lambdaEntAux: Double = mtafDefaults.lambdaEntAux,
                sgdRepetition: SGD.Repetition = mtafDefaults.sgdRepetition) {
        self.classes = classes
        self.targetCount = targetCount
        self.multiLevel = multiLevel
        self.learningRate = learningRate
        self.learningRateD = learningRateD
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.power = power
        self.maxIterations = maxIterations
        self.teacherIterations = teacherIterations
        self.lambdaSegMain = lambdaSegMain
        self.lambdaSegAux = lambdaSegAux
        self.lambdaAdvMain = lambdaAdvMain
        self.lambdaAdvAux = lambdaAdvAux
        self.lambdaKLTarget = lambdaKLTarget
        self.lambdaEntMain = lambdaEntMain
        self.lambdaEntAux = lambdaEntAux
        self.sgdRepetition = sgdRepetition
    }

    /// The real-valued hyper-parameters by their TRAIN key (spec §6.2); `package` for the
    /// training fixture runner (MTAFVerify), which reads a case's hyper-parameters by these keys.
    package static var realFields: [(key: String, field: WritableKeyPath<TrainingHyperParameters, Double>)] {
        [("LEARNING_RATE", \.learningRate), ("LEARNING_RATE_D", \.learningRateD), ("MOMENTUM", \.momentum),
         ("WEIGHT_DECAY", \.weightDecay), ("POWER", \.power), ("LAMBDA_SEG_MAIN", \.lambdaSegMain),
         ("LAMBDA_SEG_AUX", \.lambdaSegAux), ("LAMBDA_ADV_MAIN", \.lambdaAdvMain), ("LAMBDA_ADV_AUX", \.lambdaAdvAux),
         ("LAMBDA_KL_TARGET", \.lambdaKLTarget), ("LAMBDA_ENT_MAIN", \.lambdaEntMain), ("LAMBDA_ENT_AUX", \.lambdaEntAux)]
    }

    /// The integer hyper-parameters by their TRAIN key (spec §6.2; `package` like `realFields`).
    package static var integerFields: [(key: String, field: WritableKeyPath<TrainingHyperParameters, Int>)] {
        [("MAX_ITERS", \.maxIterations), ("TEACHER_ITERS", \.teacherIterations)]
    }

    /// Checks the ranges the schedule and the frameworks rely on.
    ///
    /// - Throws: `TrainingError.invalidHyperParameter` naming the first bad value.
    public func validate() throws(TrainingError) {
        func bad(_ name: String, _ value: Any, _ reason: String) -> TrainingError {
            .invalidHyperParameter(name: name, value: "\(value)", reason: reason)
        }
        guard classes >= 1 else { throw bad("NUM_CLASSES", classes, "must be at least 1") }
        guard targetCount >= 0 else { throw bad("TARGETS", targetCount, "negative count") }
        guard maxIterations > 0 else { throw bad("MAX_ITERS", maxIterations, "must be positive") }
        guard teacherIterations >= 0 else { throw bad("TEACHER_ITERS", teacherIterations, "must be ≥ 0") }
        for (name, field) in Self.realFields where !self[keyPath: field].isFinite {
            throw bad(name, self[keyPath: field], "must be finite")
        }
    }

    /// The segmenter's poly schedule (base LEARNING_RATE). Spec §4.5.
    public var segmenterSchedule: PolySchedule {
        PolySchedule(base: learningRate, maxIterations: maxIterations, power: power)
    }

    /// The discriminators' poly schedule (base LEARNING_RATE_D). Spec §4.5.
    public var discriminatorSchedule: PolySchedule {
        PolySchedule(base: learningRateD, maxIterations: maxIterations, power: power)
    }

    /// SGD's learning rates at iteration `i`: group 0 gets lr_i, group 1 gets `lr_i * 10` (in
    /// Double, as upstream's `adjust_learning_rate`). Spec §4.5.
    public func segmenterLearningRates(at iteration: Int) -> [Double] {
        let lr = segmenterSchedule.learningRate(at: iteration)
        return [lr, lr * 10]
    }

    /// Every discriminator Adam's learning rate at iteration `i`. Spec §4.5
    /// (upstream `adjust_learning_rate_discriminator`).
    public func discriminatorLearningRate(at iteration: Int) -> Double {
        discriminatorSchedule.learningRate(at: iteration)
    }
}

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
