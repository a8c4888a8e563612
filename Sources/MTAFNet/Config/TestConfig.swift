// TestConfig: the `TEST` section (spec §6.2, §8).

/// The `TEST` section of `MTAFConfig` (spec §6.2).
public struct TestConfig: Equatable, Sendable {
    /// `MODE`: 'single' or 'best' (spec §8).
    public var mode = "best"
    /// `MODEL`: one entry per model (ensemble in single mode).
    public var model = [DeepLabV2.upstreamName]
    /// `MODEL_WEIGHT`: ensemble weights on logits.
    public var modelWeight = [1.0]
    /// `MULTI_LEVEL`: per model (must match the checkpoint).
    public var multiLevel = [true]
    /// `IMG_MEAN`: as TRAIN.
    public var imgMean: [Float] = [104.00698793, 116.66876762, 122.67891434]
    /// `RESTORE_FROM`: single mode: checkpoints, one per model.
    public var restoreFrom = [""]
    /// `SNAPSHOT_DIR`: best mode: the folder scanned; entry 0 empty = EXP_ROOT_SNAPSHOT/EXP_NAME.
    public var snapshotDir = [""]
    /// `SNAPSHOT_STEP`: best mode: first iteration and step.
    public var snapshotStep = 2000
    /// `SNAPSHOT_MAXITER`: best mode: exclusive upper bound.
    public var snapshotMaxIter = 120_000
    /// `SET_TARGET`: per target (Mapillary: folder name).
    public var setTarget = ["val", "validation"]
    /// `BATCH_SIZE_TARGET`: evaluation assumes 1.
    public var batchSizeTarget = 1
    /// `INPUT_SIZE_TARGET`: (W, H) image size.
    public var inputSizeTarget = [640, 320]
    /// `OUTPUT_SIZE_TARGET`: (W, H) label size (and upsampling size, spec §8).
    public var outputSizeTarget = [640, 320]
    /// `INFO_TARGET`: per target; a one-entry list applies to every target (spec §10).
    public var infoTarget = ["mtaf/dataset/cityscapes_list/info.json"]
    /// `WAIT_MODEL`: best mode: wait for missing snapshots.
    public var waitModel = true
    /// `SCALE_LABEL`: Mapillary test labels resized-with-pad (spec §7.5).
    public var scaleLabel = true
    /// `AMP` (ours): evaluate with bfloat16 convolution GEMMs (FP32 accumulation), as TRAIN.AMP
    /// trains; `--precision` overrides (spec §4.13).
    public var amp = false

    public init() {}
}

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
