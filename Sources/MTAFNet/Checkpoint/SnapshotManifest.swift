import Foundation

/// The record of one complete snapshot, written last (spec §5.5, §10; architecture §3.10).
///
/// A snapshot of iteration i is the set of files it lists (`model_<i>.safetensors`, the
/// discriminators under upstream's stems, the optimizer and loader state) plus this manifest,
/// `model_<i>.manifest.json`. Every file is written atomically before the manifest, so a manifest
/// on disk means every file it names is complete; a run killed while writing leaves the previous
/// snapshot as the newest complete one. Each file's size and CRC32C are recorded (version 2;
/// version 1 manifests have sizes only), so resume detects a file changed after it was written.
public struct SnapshotManifest: Codable, Equatable, Sendable {
    /// One file of the snapshot.
    public struct FileRecord: Codable, Equatable, Sendable {
        /// File name inside the snapshot folder.
        public var name: String
        /// Its size in bytes when written.
        public var bytes: Int
        /// The CRC32C of its bytes when written (nil in version 1 manifests).
        public var crc32c: UInt32?

        public init(name: String, bytes: Int, crc32c: UInt32? = nil) {
            self.name = name
            self.bytes = bytes
            self.crc32c = crc32c
        }
    }

    /// Format version of this manifest.
    public var version = 2
    /// The iteration the snapshot was taken after (upstream's file number).
    public var iteration: Int
    /// The framework that wrote it (Baseline, MDis, MTKT, SourceOnly, MinEnt).
    public var framework: String
    /// A hash of the effective training configuration; resume refuses a different one.
    public var configHash: String
    /// Every file of the snapshot, in the order written.
    public var files: [FileRecord]
    /// Free-form facts (world size, targets) for people reading the folder.
    public var notes: [String: String]

    public init(iteration: Int, framework: String, configHash: String, files: [FileRecord],
                notes: [String: String] = [:]) {
        self.iteration = iteration
        self.framework = framework
        self.configHash = configHash
        self.files = files
        self.notes = notes
    }

    /// The manifest's file name for an iteration.
    public static func fileName(iteration: Int) -> String { "model_\(iteration).manifest.json" }
}
