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
        let crc32c = try SafeTensors.write(tensors, metadata: metadata, to: path(name))
        return SnapshotManifest.FileRecord(name: name, bytes: try fileSize(path(name)), crc32c: crc32c)
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

    /// A snapshot that cannot be resumed from, and why.
    public struct Skipped: Equatable, Sendable {
        public let iteration: Int
        public let reason: String
    }

    /// The newest usable snapshot (see `problem(with:)`) and the newer ones passed over, newest
    /// first; a manifest that does not decode counts as a passed-over snapshot too.
    public func scan() -> (newest: SnapshotManifest?, skipped: [Skipped]) {
        var skipped: [Skipped] = []
        for iteration in manifestIterations() {
            let manifest: SnapshotManifest
            do {
                manifest = try readManifest(iteration: iteration)
            } catch {
                skipped.append(Skipped(iteration: iteration, reason: "\(error)"))
                continue
            }
            if let problem = problem(with: manifest) {
                skipped.append(Skipped(iteration: iteration, reason: problem))
            } else {
                return (manifest, skipped)
            }
        }
        return (nil, skipped)
    }

    /// The newest usable snapshot whose every float tensor reads back finite; nil when there is
    /// none. Reads whole snapshots: meant for a run that stops because its values diverged.
    public func newestFinite() -> SnapshotManifest? {
        for iteration in manifestIterations() {
            guard let manifest = try? readManifest(iteration: iteration), problem(with: manifest) == nil else { continue }
            let finite = manifest.files.allSatisfy { record in
                guard let file = try? SafeTensors.read(contentsOf: path(record.name)) else { return false }
                return file.names.allSatisfy { name in
                    file.entries[name]!.dtype.isFloat ? (try? file.tensor(name)) != nil : true
                }
            }
            if finite { return manifest }
        }
        return nil
    }

    /// The iterations that have a manifest file, newest first.
    private func manifestIterations() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("model_"), name.hasSuffix(".manifest.json") else { return nil }
            return Int(name.dropFirst("model_".count).dropLast(".manifest.json".count))
        }.sorted(by: >)
    }

    /// The iteration of a snapshot file's name (`model_<i>.safetensors`, `model_<i>_<…>.safetensors`,
    /// `model_<i>.manifest.json`), nil for other names.
    static func snapshotIteration(ofFile name: String) -> Int? {
        guard name.hasPrefix("model_"), name.hasSuffix(".safetensors") || name.hasSuffix(".manifest.json") else { return nil }
        let rest = name.dropFirst("model_".count)
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let next = rest.dropFirst(digits.count).first, next == "." || next == "_" else { return nil }
        return Int(digits)
    }

    /// Removes the files of snapshots newer than `iteration` that have no manifest: a run stopped
    /// while writing them (a full disk, a kill). A resumed run writes them again, and on a full
    /// disk they hold the very space that rewrite needs.
    ///
    /// - Returns: the names removed.
    public func removeUnfinishedSnapshots(newerThan iteration: Int) -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        let manifests = Set(names.filter { $0.hasSuffix(".manifest.json") }.compactMap(Self.snapshotIteration(ofFile:)))
        return names.filter { name in
            guard let owner = Self.snapshotIteration(ofFile: name), owner > iteration, !manifests.contains(owner) else {
                return false
            }
            return unlink(path(name)) == 0
        }
    }

    /// Removes the temporary files of interrupted atomic writes whose writer no longer runs on
    /// this host (call only while holding the folder's lock).
    ///
    /// - Returns: the names removed.
    public func removeStaleTemporaryFiles() -> [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        return names.filter { name in
            guard let pid = AtomicFile.writerPID(of: name), kill(pid, 0) != 0, errno == ESRCH else { return false }
            return unlink(path(name)) == 0
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

    /// Why a snapshot cannot be resumed from, or nil when every file it lists is on disk with
    /// its recorded size and checksum (reading each file whole). Version 1 manifests record no
    /// checksums: their files are checked by size only.
    public func problem(with manifest: SnapshotManifest) -> String? {
        for record in manifest.files {
            let file = path(record.name)
            guard let size = try? fileSize(file) else { return "\(record.name) is missing" }
            guard size == record.bytes else {
                return "\(record.name) has \(size) bytes, the manifest recorded \(record.bytes) (truncated or replaced)"
            }
            guard let expected = record.crc32c else { continue }
            do {
                let found = try AtomicFile.checksum(ofFile: file).crc32c
                guard found == expected else {
                    return "\(record.name) has CRC32C \(Self.hex(found)), the manifest recorded \(Self.hex(expected)) "
                        + "(its bytes changed after it was written)"
                }
            } catch {
                return "\(error)"
            }
        }
        return nil
    }

    /// Whether a snapshot can be resumed from (`problem(with:)` finds nothing).
    public func isComplete(_ manifest: SnapshotManifest) -> Bool { problem(with: manifest) == nil }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
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
