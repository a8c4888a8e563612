// PretrainedBackbone: a trained DeepLab-v2's backbone written as upstream's ImageNet-init file
// (spec §2.8): every state-dict key except the classifiers (`layer5`, `layer6`) under an extra
// first component `Scale.` (upstream's `Scale.conv1.weight`, …), BatchNorm running statistics and
// num_batches_tracked included. TRAIN.RESTORE_FROM loads it into DeepLab-v2 or its MTKT variant
// of the same blocks and width by the ImageNet rule: the backbone from the file, every classifier
// head keeps its own initialization (docs/pretraining.md).


/// Writing the pretrained backbone that `mtaf-mpi pretrain` produces.
public enum PretrainedBackbone {
    /// The first key component of upstream's ImageNet file, dropped by the ImageNet rule.
    public static let keyPrefix = "Scale."
    /// DeepLab-v2's classifier modules (aux and main), left out of the file.
    public static let classifierModules: Set<String> = ["layer5", "layer6"]

    /// Whether a state-dict key belongs to the backbone (its first component is no classifier).
    public static func isBackbone(_ key: String) -> Bool {
        !classifierModules.contains(String(key.prefix { $0 != "." }))
    }

    /// Refuses a destination whose path lacks `ModelCheckpoint.imageNetMarker` (TRAIN.RESTORE_FROM
    /// would not apply the ImageNet rule to it).
    ///
    /// - Throws: `CheckpointError.notImageNetPath`.
    public static func checkPath(_ path: String) throws(CheckpointError) {
        guard path.contains(ModelCheckpoint.imageNetMarker) else { throw .notImageNetPath(path: path) }
    }

    /// The backbone's tensors under their file keys (`Scale.` + state-dict key), values copied.
    public static func tensors(of stateDict: StateDict) -> [String: SafeTensors.Value] {
        var out: [String: SafeTensors.Value] = [:]
        for (key, value) in ModelCheckpoint.tensors(of: stateDict) where isBackbone(key) { out[keyPrefix + key] = value }
        return out
    }

    /// Writes the backbone of a DeepLab-v2 state dict atomically (into an existing folder).
    ///
    /// - Parameters:
    ///   - stateDict: a DeepLab-v2's (`DeepLabV2.stateDict`).
    ///   - path: the destination (replaced); must contain `ModelCheckpoint.imageNetMarker`.
    ///   - metadata: free-form strings stored in the header (config, iterations, seed, …).
    /// - Throws: `CheckpointError.notImageNetPath`; `CheckpointError.file` when it cannot be
    ///   written (or a value is not finite).
    public static func save(_ stateDict: StateDict, to path: String, metadata: [String: String]) throws(CheckpointError) {
        try checkPath(path)
        try ModelCheckpoint.write(tensors(of: stateDict), metadata: metadata, to: path)
    }
}
