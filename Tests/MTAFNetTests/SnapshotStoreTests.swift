import Foundation
import XCTest
@testable import MTAFNet

final class SnapshotStoreTests: XCTestCase {
    private func temporaryStore() throws -> SnapshotStore {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("snapshots-\(UUID().uuidString)/nested").path
        let store = SnapshotStore(directory: directory)
        try store.prepare()
        return store
    }

    private func writeSnapshot(_ store: SnapshotStore, iteration: Int, value: Float) throws -> SnapshotManifest {
        let weights = Tensor(shape: [2, 3], repeating: value)
        let model = try store.writeFile(stem: "model_\(iteration)", tensors: ["conv1.weight": .f32(weights)])
        let disc = try store.writeFile(stem: "model_\(iteration)_D_main", tensors: ["0.bias": .f32(Tensor(shape: [4]))])
        let manifest = SnapshotManifest(iteration: iteration, framework: "Baseline", configHash: "abc", files: [model, disc])
        try store.writeManifest(manifest)
        return manifest
    }

    func testNewestCompleteSnapshotWins() throws {
        let store = try temporaryStore()
        XCTAssertNil(store.scan().newest)
        _ = try writeSnapshot(store, iteration: 100, value: 1)
        let second = try writeSnapshot(store, iteration: 200, value: 2)
        XCTAssertEqual(store.scan().newest, second)
        let file = try SafeTensors.read(contentsOf: store.path("model_200.safetensors"))
        XCTAssertEqual(try file.tensor("conv1.weight").scalars, [Float](repeating: 2, count: 6))
    }

    /// A snapshot whose manifest is missing (killed before the manifest) or whose file was
    /// truncated afterwards is skipped: the previous complete one is used.
    func testIncompleteSnapshotsAreSkipped() throws {
        let store = try temporaryStore()
        let first = try writeSnapshot(store, iteration: 100, value: 1)
        // Files of 200 written, manifest never written (the process died in between).
        _ = try store.writeFile(stem: "model_200", tensors: ["conv1.weight": .f32(Tensor(shape: [2, 3]))])
        XCTAssertEqual(store.scan().newest, first)
        // Snapshot 300 complete, then one of its files truncated behind our back.
        _ = try writeSnapshot(store, iteration: 300, value: 3)
        let victim = store.path("model_300_D_main.safetensors")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: victim))
        try handle.truncate(atOffset: 10)
        try handle.close()
        XCTAssertEqual(store.scan().newest, first)
    }

    func testManifestRefusesAFileThatChangedSize() throws {
        let store = try temporaryStore()
        var record = try store.writeFile(stem: "model_5", tensors: ["x": .f32(Tensor(shape: [3]))])
        record.bytes += 1
        XCTAssertThrowsError(try store.writeManifest(SnapshotManifest(iteration: 5, framework: "MDis", configHash: "h", files: [record]))) {
            guard case .incomplete = $0 as? SnapshotError else { return XCTFail("wrong error \($0)") }
        }
        XCTAssertNil(store.scan().newest)
    }

    func testErrorsNameTheFile() {
        XCTAssertTrue(SnapshotError.missing(file: "/x/model_2.safetensors").description.contains("/x/model_2.safetensors"))
        XCTAssertTrue(SnapshotError.configMismatch(file: "m", expected: "a", found: "b").description.contains("SNAPSHOT_DIR"))
    }

    /// A flipped bit inside a file keeps its size; the checksum catches it and the scan says
    /// which file and why (it used to resume from the damaged snapshot).
    func testBitFlipIsSkippedWithItsReason() throws {
        let store = try temporaryStore()
        let first = try writeSnapshot(store, iteration: 100, value: 1)
        _ = try writeSnapshot(store, iteration: 200, value: 2)
        let victim = store.path("model_200.safetensors")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count - 3] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: victim))
        let scan = store.scan()
        XCTAssertEqual(scan.newest, first)
        XCTAssertEqual(scan.skipped.map(\.iteration), [200])
        XCTAssertTrue(scan.skipped[0].reason.hasPrefix("model_200.safetensors has CRC32C 0x"), scan.skipped[0].reason)
        XCTAssertTrue(scan.skipped[0].reason.contains("changed after it was written"), scan.skipped[0].reason)
    }

    /// A garbage manifest, a missing file and a truncated file are each skipped with a reason.
    func testEverySkippedSnapshotHasAReason() throws {
        let store = try temporaryStore()
        let first = try writeSnapshot(store, iteration: 100, value: 1)
        _ = try writeSnapshot(store, iteration: 200, value: 2)
        _ = try writeSnapshot(store, iteration: 300, value: 3)
        try Data("not json".utf8).write(to: URL(fileURLWithPath: store.path("model_400.manifest.json")))
        XCTAssertEqual(unlink(store.path("model_300_D_main.safetensors")), 0)
        XCTAssertEqual(truncate(store.path("model_200.safetensors"), 20), 0)
        let scan = store.scan()
        XCTAssertEqual(scan.newest, first)
        XCTAssertEqual(scan.skipped.map(\.iteration), [400, 300, 200])
        XCTAssertTrue(scan.skipped[0].reason.contains("model_400.manifest.json is incomplete: unreadable manifest"), scan.skipped[0].reason)
        XCTAssertEqual(scan.skipped[1].reason, "model_300_D_main.safetensors is missing")
        XCTAssertTrue(scan.skipped[2].reason.hasPrefix("model_200.safetensors has 20 bytes, the manifest recorded "),
                      scan.skipped[2].reason)
    }

    /// Manifests of version 1 (sizes, no checksums) still resume.
    func testVersionOneManifestsWithoutChecksumsStillResume() throws {
        let store = try temporaryStore()
        var manifest = try writeSnapshot(store, iteration: 100, value: 1)
        XCTAssertEqual(manifest.version, 2)
        XCTAssertNotNil(manifest.files[0].crc32c)
        manifest.version = 1
        for index in manifest.files.indices { manifest.files[index].crc32c = nil }
        try JSONEncoder().encode(manifest).write(to: URL(fileURLWithPath: store.path("model_100.manifest.json")))
        XCTAssertFalse(try String(contentsOfFile: store.path("model_100.manifest.json"), encoding: .utf8).contains("crc32c"))
        XCTAssertEqual(store.scan().newest, manifest)
        XCTAssertTrue(store.scan().skipped.isEmpty)
    }

    /// Files of a snapshot newer than the resumed one that never got its manifest, and
    /// temporary files whose writer is gone, are removed; everything else stays.
    func testLeftoversOfInterruptedWritesAreRemoved() throws {
        let store = try temporaryStore()
        _ = try writeSnapshot(store, iteration: 100, value: 1)
        _ = try store.writeFile(stem: "model_200", tensors: ["x": .f32(Tensor(shape: [2]))])
        _ = try store.writeFile(stem: "model_50", tensors: ["x": .f32(Tensor(shape: [2]))])
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let abandoned = ".model_300.safetensors.tmp.\(dead.processIdentifier).0"
        let live = ".model_300_state.safetensors.tmp.\(getpid()).0"
        for name in [abandoned, live] { try Data([1, 2, 3]).write(to: URL(fileURLWithPath: store.path(name))) }
        XCTAssertEqual(store.removeStaleTemporaryFiles(), [abandoned])
        XCTAssertEqual(store.removeUnfinishedSnapshots(newerThan: 100), ["model_200.safetensors"])
        let left = try FileManager.default.contentsOfDirectory(atPath: store.directory).sorted()
        XCTAssertEqual(left, [live, "model_100.manifest.json", "model_100.safetensors", "model_100_D_main.safetensors",
                              "model_50.safetensors"])
    }
}
