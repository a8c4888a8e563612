import Foundation

/// Writes and finds snapshots in TRAIN.SNAPSHOT_DIR (spec §5.5): safetensors files under
/// upstream's stems, written atomically, and a manifest written last.
public struct SnapshotStore: Sendable {
    /// The snapshot folder.
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// Creates the folder (and its parents) if needed.
    public func prepare() throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SnapshotError.cannotCreate(directory: directory, reason: error.localizedDescription)
        }
    }

    /// The path of a file in the folder.
    public func path(_ name: String) -> String { directory + "/" + name }

    /// Writes one safetensors file of a snapshot atomically and returns its record.
    ///
    /// - Parameters:
    ///   - stem: Upstream's file stem, e.g. `model_2000_D_main`.
    ///   - tensors: The tensors by state-dict key.
    public func writeFile(stem: String, tensors: [String: SafeTensors.Value],
                          metadata: [String: String] = [:]) throws -> SnapshotManifest.FileRecord {
        let name = stem + ".safetensors"
        try SafeTensors.write(tensors, metadata: metadata, to: path(name))
        return SnapshotManifest.FileRecord(name: name, bytes: try fileSize(path(name)))
    }

    /// Writes the manifest, atomically, after every file it lists.
    public func writeManifest(_ manifest: SnapshotManifest) throws {
        for record in manifest.files {
            let size = try fileSize(path(record.name))
            guard size == record.bytes else {
                throw SnapshotError.incomplete(file: path(record.name), reason: "\(size) bytes on disk, \(record.bytes) written")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(manifest)
        let target = path(SnapshotManifest.fileName(iteration: manifest.iteration))
        try AtomicFile.write(to: target) { sink in
            try data.withUnsafeBytes { try sink($0) }
        }
    }

    /// The newest snapshot whose manifest exists and whose files are all present with their
    /// recorded sizes; nil when there is none. Incomplete newer snapshots are skipped.
    public func latestComplete() throws -> SnapshotManifest? {
        completeSnapshots().first
    }

    /// The newest complete snapshot whose every float tensor reads back finite; nil when there
    /// is none. Reads whole snapshots: meant for a run that stops because its values diverged.
    public func newestFinite() -> SnapshotManifest? {
        completeSnapshots().first { manifest in
            manifest.files.allSatisfy { record in
                guard let file = try? SafeTensors.read(contentsOf: path(record.name)) else { return false }
                return file.names.allSatisfy { name in
                    file.entries[name]!.dtype.isFloat ? (try? file.tensor(name)) != nil : true
                }
            }
        }
    }

    /// The complete snapshots, newest first.
    private func completeSnapshots() -> [SnapshotManifest] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            return []
        }
        let iterations = names.compactMap { name -> Int? in
            guard name.hasPrefix("model_"), name.hasSuffix(".manifest.json") else { return nil }
            return Int(name.dropFirst("model_".count).dropLast(".manifest.json".count))
        }.sorted(by: >)
        return iterations.compactMap { iteration in
            guard let manifest = try? readManifest(iteration: iteration), isComplete(manifest) else { return nil }
            return manifest
        }
    }

    /// Reads the manifest of an iteration.
    public func readManifest(iteration: Int) throws -> SnapshotManifest {
        let file = path(SnapshotManifest.fileName(iteration: iteration))
        guard let data = FileManager.default.contents(atPath: file) else {
            throw SnapshotError.missing(file: file)
        }
        do {
            return try JSONDecoder().decode(SnapshotManifest.self, from: data)
        } catch {
            throw SnapshotError.incomplete(file: file, reason: "unreadable manifest: \(error)")
        }
    }

    /// Whether every file a manifest lists is on disk with its recorded size.
    public func isComplete(_ manifest: SnapshotManifest) -> Bool {
        manifest.files.allSatisfy { (try? fileSize(path($0.name))) == $0.bytes }
    }

    private func fileSize(_ file: String) throws -> Int {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
              let size = attributes[.size] as? NSNumber else {
            throw SnapshotError.missing(file: file)
        }
        return size.intValue
    }
}

/// Why a snapshot could not be written or used.
public enum SnapshotError: Error, CustomStringConvertible, Equatable {
    case cannotCreate(directory: String, reason: String)
    case missing(file: String)
    case incomplete(file: String, reason: String)
    case configMismatch(file: String, expected: String, found: String)

    public var description: String {
        switch self {
        case let .cannotCreate(directory, reason):
            "cannot create the snapshot folder \(directory): \(reason)"
        case let .missing(file):
            "snapshot file \(file) is missing"
        case let .incomplete(file, reason):
            "snapshot file \(file) is incomplete: \(reason)"
        case let .configMismatch(file, expected, found):
            "snapshot \(file) was written by another configuration (hash \(found), this run \(expected)); "
                + "resume with the same config or start a new SNAPSHOT_DIR"
        }
    }
}
