// MTAFConfig: the typed configuration of one run: MTAF's defaults (spec §6.2), our own keys
// (spec §6.1 "our own keys live in new sections"), merged with a YAML file and `--set` overrides.
//
// Paths. Upstream builds its default paths from the repository root (`<root>/data/GTA5`); ours
// are the same paths relative to the working directory (`data/GTA5`), and every relative path in
// a configuration resolves against the working directory, as upstream does (spec §10). Our
// configs are written to run from the repository root.

/// The whole configuration: top-level keys, `TRAIN`, `TEST`, and our `DIST` and `LOG` sections.
///
/// Field names are the keys in lowerCamelCase; each field's doc comment gives its YAML key.
/// Load with `MTAFConfig.load(file:overrides:expSuffix:)`; the defaults are `MTAFConfig()`.
public struct MTAFConfig: Equatable, Sendable {
    /// `SOURCE`: source dataset: 'SYNTHIA', 'Cityscapes', anything else = GTA5.
    public var source = "GTA"
    /// `TARGETS`: target domains in order ('Mapillary', 'IDD', anything else = Cityscapes); T = count.
    public var targets = ["Cityscapes", "Mapillary"]
    /// `NUM_WORKERS`: data-loader workers.
    public var numWorkers = 4
    /// `DATA_LIST_SOURCE`: source list file; `{}` ← TRAIN.SET_SOURCE (upstream `<root>/mtaf/dataset/gta5_list/{}.txt`).
    public var dataListSource = "mtaf/dataset/gta5_list/{}.txt"
    /// `DATA_LIST_TARGET`: per-target list files; `{}` ← the set name; unused for Mapillary.
    public var dataListTarget = ["mtaf/dataset/cityscapes_list/{}.txt", ""]
    /// `DATA_DIRECTORY_SOURCE`: source dataset root (upstream `<root>/data/GTA5`).
    public var dataDirectorySource = "data/GTA5"
    /// `DATA_DIRECTORY_TARGET`: per-target dataset roots.
    public var dataDirectoryTarget = ["data/Cityscapes", "data/Mapillary"]
    /// `NUM_CLASSES`: C.
    public var numClasses = 7
    /// `EXP_NAME`: experiment name; empty = `{SOURCE}2{TARGETS joined by +}_{MODEL}_{MT_FRAMEWORK}` (spec §6.4).
    public var expName = ""
    /// `EXP_ROOT` (upstream `<root>/experiments`).
    public var expRoot = "experiments"
    /// `EXP_ROOT_SNAPSHOT`: default snapshot parent. As upstream, a fixed default that does not
    /// follow a changed EXP_ROOT.
    public var expRootSnapshot = "experiments/snapshots"
    /// `EXP_ROOT_LOGS`: unused by MTAF.
    public var expRootLogs = "experiments/logs"
    /// `GPU_ID`: device index (unused on CPU).
    public var gpuID = 0

    // Ours (spec §2.11, §3, §4.8).

    /// `MODEL_WIDTH`: channels of the ResNet stem (64 = DeepLab-v2's ResNet-101; spec §2.11).
    public var modelWidth = 64
    /// `MODEL_BLOCKS`: bottleneck blocks per stage (ResNet-101: [3, 4, 23, 3]).
    public var modelBlocks = [3, 4, 23, 3]
    /// `DISCRIMINATOR_NDF`: channels of the discriminator's first layer (spec §3; upstream 64).
    public var discriminatorNDF = 64
    /// `SGD_REPEAT`: 'auto' | 'repeated' | 'single': repeated backbone SGD updates (spec §4.8).
    public var sgdRepeat = "auto"

    /// The `TRAIN` section.
    public var train = TrainConfig()
    /// The `TEST` section.
    public var test = TestConfig()
    /// The `DIST` section (ours).
    public var dist = DistConfig()
    /// The `LOG` section (ours).
    public var log = LogConfig()

    /// MTAF's defaults (spec §6.2) and ours.
    public init() {}

    /// T, the number of target domains.
    public var targetCount: Int { targets.count }
}

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
