// Model checkpoints: a model's whole state dict as one safetensors file whose tensor names are
// the PyTorch state_dict keys (spec §2.10): F32 for parameters and running statistics, an I64
// scalar (shape []) for every num_batches_tracked. Loading also reads PyTorch `.pth` state dicts
// (CheckpointReader: the format is detected by content). Loading is strict and all-or-nothing: every
// key is checked and every value read (and found finite) before any value is stored, and all key
// problems are reported in one error. Saving and loading both refuse ±Inf and NaN
// (`SafeTensorsError.nonFinite`, naming the file and tensor).
// Sizes: E entries of `StateDict` (640 for DeepLab-v2 ResNet-101).

import Distributed
import Foundation

/// Saving and loading a model's state dict (`DeepLabV2.stateDict`, `DeepLabV2MTKT.stateDict`,
/// `FCDiscriminator.stateDict`). Spec §2.8, §2.10 (PyTorch `state_dict` / `load_state_dict`).
public enum ModelCheckpoint {
    /// The substring that selects upstream's ImageNet-init rule (spec §2.8).
    public static let imageNetMarker = "DeepLab_resnet_pretrained_imagenet"

    /// The state dict's tensors, ready for `SafeTensors.write` (values are copies).
    public static func tensors(of stateDict: StateDict) -> [String: SafeTensors.Value] {
        var out: [String: SafeTensors.Value] = [:]
        for entry in stateDict.entries {
            switch entry.slot {
            case let .floats(store, id):
                let t = Tensor(shape: entry.shape)
                store.withValues(id) { src in
                    t.withUnsafeMutableBufferPointer { dst in
                        for i in 0..<dst.count { dst[i] = src[i] }
                    }
                }
                out[entry.key] = .f32(t)
            case let .counter(bn):
                out[entry.key] = .i64(shape: [], values: [bn.numBatchesTracked])
            }
        }
        return out
    }

    /// Writes the whole state dict atomically.
    ///
    /// - Parameters:
    ///   - stateDict: the model's.
    ///   - path: the destination (replaced).
    ///   - metadata: free-form strings stored in the header.
    public static func save(_ stateDict: StateDict, to path: String, metadata: [String: String] = [:]) throws(CheckpointError) {
        try write(tensors(of: stateDict), metadata: metadata, to: path)
    }

    /// Writes named tensors atomically as a checkpoint file (`CheckpointError.file` on failure).
    static func write(_ tensors: [String: SafeTensors.Value], metadata: [String: String], to path: String) throws(CheckpointError) {
        do {
            try SafeTensors.write(tensors, metadata: metadata, to: path)
        } catch let error as SafeTensorsError {
            throw .file(error)
        } catch {
            throw .file(.io(path: path, call: "write", errno: 0))
        }
    }

    /// Strict load (PyTorch `load_state_dict(strict=True)`): the file's keys must be exactly the
    /// model's, with the same shapes; floats for float entries, integers for counters.
    /// `note` receives what reading a `.pth` did beyond reading (see `CheckpointReader.read`).
    public static func load(_ stateDict: StateDict, from path: String,
                            note: (String) -> Void = { printToStandardError($0) }) throws(CheckpointError) {
        let file = try open(path, note: note)
        try apply(file, keys: file.names.map { ($0, $0) }, to: stateDict, requireAll: true)
    }

    /// Upstream's ImageNet-init rule (spec §2.8): for every key of the file, skip it when its
    /// second dot component is `layer5`, otherwise store it under the key without its first
    /// component; every resulting key must be a model key (the others keep their values).
    /// The keys are taken as stored (a DataParallel `module.` is the first component dropped).
    public static func loadImageNetInitialization(_ stateDict: StateDict, from path: String,
                                                  note: (String) -> Void = { printToStandardError($0) }) throws(CheckpointError) {
        let file = try open(path, stripDataParallelPrefix: false, note: note)
        var pairs: [(file: String, model: String)] = []
        for key in file.names {
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count > 1 && parts[1] == "layer5" { continue }
            pairs.append((key, parts.dropFirst().joined(separator: ".")))
        }
        try apply(file, keys: pairs, to: stateDict, requireAll: false)
    }

    /// TRAIN.RESTORE_FROM semantics (spec §2.8): the ImageNet rule when the path contains
    /// `DeepLab_resnet_pretrained_imagenet`, a strict load otherwise.
    public static func restore(_ stateDict: StateDict, from path: String,
                               note: (String) -> Void = { printToStandardError($0) }) throws(CheckpointError) {
        if path.contains(imageNetMarker) {
            try loadImageNetInitialization(stateDict, from: path, note: note)
        } else {
            try load(stateDict, from: path, note: note)
        }
    }

    /// Any supported format (safetensors, PyTorch zip or legacy `.pth`), detected by content;
    /// a DataParallel `module.` prefix on every key is dropped unless `stripDataParallelPrefix` is false.
    private static func open(_ path: String, stripDataParallelPrefix: Bool = true,
                             note: (String) -> Void) throws(CheckpointError) -> SafeTensorsFile {
        try CheckpointReader.read(contentsOf: path, stripDataParallelPrefix: stripDataParallelPrefix, note: note)
    }

    private static func describe(_ dtype: String, _ shape: [Int]) -> String {
        "\(dtype) [\(shape.map(String.init).joined(separator: ", "))]"
    }

    /// Checks every (file key → model key) pair, then copies the values.
    private static func apply(_ file: SafeTensorsFile, keys pairs: [(file: String, model: String)],
                              to stateDict: StateDict, requireAll: Bool) throws(CheckpointError) {
        var unexpected: [String] = []
        var mismatched: [CheckpointError.BadKey] = []
        var matched: [(file: String, entry: StateDict.Entry)] = []
        var seen: Set<String> = []
        for (fileKey, modelKey) in pairs {
            guard let entry = stateDict.entry(forKey: modelKey), let stored = file.entries[fileKey] else {
                unexpected.append(fileKey)
                continue
            }
            let isCounter: Bool
            if case .counter = entry.slot { isCounter = true } else { isCounter = false }
            let floatType = stored.dtype.isFloat
            if stored.shape != entry.shape || floatType == isCounter {
                mismatched.append(CheckpointError.BadKey(
                    key: fileKey, expected: describe(isCounter ? "I64" : "F32", entry.shape),
                    found: describe(stored.dtype.rawValue, stored.shape)))
                continue
            }
            seen.insert(modelKey)
            matched.append((fileKey, entry))
        }
        let mismatchedKeys = Set(mismatched.map(\.key))
        let missing = requireAll
            ? stateDict.keys.filter { !seen.contains($0) && !mismatchedKeys.contains($0) }
            : []
        guard unexpected.isEmpty && mismatched.isEmpty && missing.isEmpty else {
            throw .keyMismatch(path: file.path, missing: missing, unexpected: unexpected.sorted(),
                               mismatched: mismatched.sorted { $0.key < $1.key })
        }
        do {
            // Every value is read (and found finite) before the first one is stored.
            let floats = try matched.map { pair -> Tensor? in
                if case .floats = pair.entry.slot { return try file.tensor(pair.file) }
                return nil
            }
            for ((fileKey, entry), values) in zip(matched, floats) {
                switch entry.slot {
                case let .floats(store, id):
                    values!.withUnsafeBufferPointer { src in
                        store.withValues(id) { dst in
                            for i in 0..<dst.count { dst[i] = src[i] }
                        }
                    }
                case let .counter(bn):
                    bn.numBatchesTracked = try file.int64s(fileKey).values[0]
                }
            }
        } catch let error as SafeTensorsError {
            throw .file(error)
        } catch {
            throw .file(.io(path: file.path, call: "read", errno: 0))
        }
    }
}
