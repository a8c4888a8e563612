// TrainConfig: the `TRAIN` section (spec §6.2), plus ADVENT's two MinEnt weights (spec §5.4).

/// The `TRAIN` section of `MTAFConfig` (spec §6.2).
public struct TrainConfig: Equatable, Sendable {
    /// `SET_SOURCE`: the source list's set name.
    public var setSource = "all"
    /// `SET_TARGET`: per target (Mapillary: folder name).
    public var setTarget = ["train", "train"]
    /// `BATCH_SIZE_SOURCE`.
    public var batchSizeSource = 1
    /// `BATCH_SIZE_TARGET`.
    public var batchSizeTarget = 1
    /// `IGNORE_LABEL`: not used by any code (labels use 255).
    public var ignoreLabel = 255
    /// `INPUT_SIZE_SOURCE`: (W, H).
    public var inputSizeSource = [640, 320]
    /// `INPUT_SIZE_TARGET`: (W, H).
    public var inputSizeTarget = [640, 320]
    /// `INFO_SOURCE`: unused.
    public var infoSource = ""
    /// `INFO_TARGET`: per target, a one-entry list applies to every target (spec §10)
    /// (upstream `<root>/mtaf/dataset/cityscapes_list/info.json`).
    public var infoTarget = ["mtaf/dataset/cityscapes_list/info.json"]
    /// `MODEL`: 'DeepLabv2' or 'DeepLabv2MTKT'.
    public var model = DeepLabV2.upstreamName
    /// `MULTI_LEVEL`: aux level on/off.
    public var multiLevel = true
    /// `MT_FRAMEWORK`: 'Baseline', 'MDis', 'MTKT', ours 'SourceOnly' and 'MinEnt' (spec §10).
    public var mtFramework = TrainingFrameworkKind.baseline.rawValue
    /// `RESTORE_FROM`: init checkpoint; empty = the model's own initialization (spec §10).
    public var restoreFrom = ""
    /// `IMG_MEAN`: B, G, R means (float32).
    public var imgMean: [Float] = [104.00698793, 116.66876762, 122.67891434]
    /// `LEARNING_RATE`: SGD base LR.
    public var learningRate = 2.5e-4
    /// `MOMENTUM`.
    public var momentum = 0.9
    /// `WEIGHT_DECAY`.
    public var weightDecay = 0.0005
    /// `POWER`: poly exponent.
    public var power = 0.9
    /// `LAMBDA_SEG_MAIN`.
    public var lambdaSegMain = 1.0
    /// `LAMBDA_SEG_AUX`: also scales the aux KL term in MTKT.
    public var lambdaSegAux = 0.1
    /// `LAMBDA_KL_TARGET`: MTKT distillation weight.
    public var lambdaKLTarget = 1.0
    /// `LEARNING_RATE_D`: Adam base LR.
    public var learningRateD = 1e-4
    /// `LAMBDA_ADV_MAIN`.
    public var lambdaAdvMain = 0.001
    /// `LAMBDA_ADV_AUX`.
    public var lambdaAdvAux = 0.0002
    /// `LAMBDA_ENT_MAIN`: MinEnt weight (ADVENT's key, spec §5.4).
    public var lambdaEntMain = 0.001
    /// `LAMBDA_ENT_AUX`: MinEnt weight (ADVENT's key, spec §5.4).
    public var lambdaEntAux = 0.0002
    /// `MAX_ITERS`: poly horizon; dataset replication length.
    public var maxIters = 250_000
    /// `EARLY_STOP`: iterations actually run.
    public var earlyStop = 120_000
    /// `SAVE_PRED_EVERY`: snapshot period.
    public var savePredEvery = 2000
    /// `SNAPSHOT_DIR`: empty = EXP_ROOT_SNAPSHOT/EXP_NAME (filled in by loading).
    public var snapshotDir = ""
    /// `RANDOM_SEED`.
    public var randomSeed = 1234
    /// `TEACHER_ITERS`: MTKT: first iteration with distillation.
    public var teacherIters = 0
    /// `TEACHER_LOSS`: 'KL' only; 'MSE' is rejected (spec §4.10).
    public var teacherLoss = "KL"
    /// `AMP`: apex mixed precision upstream; here bfloat16 convolution GEMMs with FP32
    /// accumulation (`--precision` overrides, spec §4.13), and it selects the `auto` SGD
    /// repetition mode (spec §4.8).
    public var amp = false
    /// `AMP_OPTIM`: apex opt level (ignored).
    public var ampOptim = "O2"
    /// `TENSORBOARD_VIZRATE` (ADVENT's key, ours in MTAF files): TensorBoard images every N
    /// iterations when LOG.TENSORBOARD is on (spec §5.5).
    public var tensorboardVizrate = 100

    public init() {}
}
