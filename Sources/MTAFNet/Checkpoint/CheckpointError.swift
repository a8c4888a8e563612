/// Why a model checkpoint could not be read, matched or written. Every case names the file.
/// Spec §2.8, §2.10.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// A key whose stored shape or dtype differs from the model's.
    public struct BadKey: Sendable, Equatable, CustomStringConvertible {
        public let key: String
        /// What the model holds, e.g. "F32 [64, 3, 7, 7]".
        public let expected: String
        /// What the file holds.
        public let found: String

        public var description: String { "\(key) (model \(expected), file \(found))" }
    }

    /// The safetensors container itself is unreadable or unwritable.
    case file(SafeTensorsError)
    /// A `.pth` file (PyTorch zip or legacy pickle format) is unreadable or refused.
    case pytorch(PyTorchFileError)
    /// The file announces no format we read: no PyTorch zip or legacy magic, and its safetensors
    /// header is unreadable (`reason`); `firstBytes` in hexadecimal.
    case unknownFormat(path: String, firstBytes: String, reason: String)
    /// Strict loading failed: every missing, unexpected and mis-shaped (or mis-typed) key at once.
    /// `missing` is empty under the ImageNet rule (the model keeps its own values there).
    case keyMismatch(path: String, missing: [String], unexpected: [String], mismatched: [BadKey])
    /// A pretrained backbone (`PretrainedBackbone.save`) would be written to a path without
    /// `ModelCheckpoint.imageNetMarker`, where TRAIN.RESTORE_FROM would load it strictly instead of
    /// with the ImageNet rule.
    case notImageNetPath(path: String)

    public var description: String {
        switch self {
        case let .file(error):
            return error.description
        case let .pytorch(error):
            return error.description
        case let .unknownFormat(path, firstBytes, reason):
            return "\(path): not a checkpoint we read: neither a PyTorch file (zip or legacy pickle) nor safetensors "
                + "(\(reason)); its first bytes are \(firstBytes)"
        case let .keyMismatch(path, missing, unexpected, mismatched):
            var parts: [String] = []
            func list(_ title: String, _ items: [String]) {
                guard !items.isEmpty else { return }
                let shown = items.prefix(20).joined(separator: ", ")
                parts.append("\(items.count) \(title): \(shown)\(items.count > 20 ? ", …" : "")")
            }
            list("missing", missing)
            list("unexpected", unexpected)
            list("mis-shaped", mismatched.map(\.description))
            return "\(path): state dict does not match the model: " + parts.joined(separator: "; ")
        case let .notImageNetPath(path):
            return "\(path): a pretrained backbone's path must contain \(ModelCheckpoint.imageNetMarker), "
                + "or TRAIN.RESTORE_FROM loads it strictly instead of with upstream's ImageNet rule (spec §2.8); "
                + "e.g. pretrained_models/\(ModelCheckpoint.imageNetMarker)_pretext.safetensors"
        }
    }
}
