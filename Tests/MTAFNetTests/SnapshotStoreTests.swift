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
        XCTAssertNil(try store.latestComplete())
        _ = try writeSnapshot(store, iteration: 100, value: 1)
        let second = try writeSnapshot(store, iteration: 200, value: 2)
        XCTAssertEqual(try store.latestComplete(), second)
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
        XCTAssertEqual(try store.latestComplete(), first)
        // Snapshot 300 complete, then one of its files truncated behind our back.
        _ = try writeSnapshot(store, iteration: 300, value: 3)
        let victim = store.path("model_300_D_main.safetensors")
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: victim))
        try handle.truncate(atOffset: 10)
        try handle.close()
        XCTAssertEqual(try store.latestComplete(), first)
    }

    func testManifestRefusesAFileThatChangedSize() throws {
        let store = try temporaryStore()
        var record = try store.writeFile(stem: "model_5", tensors: ["x": .f32(Tensor(shape: [3]))])
        record.bytes += 1
        XCTAssertThrowsError(try store.writeManifest(SnapshotManifest(iteration: 5, framework: "MDis", configHash: "h", files: [record]))) {
            guard case .incomplete = $0 as? SnapshotError else { return XCTFail("wrong error \($0)") }
        }
        XCTAssertNil(try store.latestComplete())
    }

    func testErrorsNameTheFile() {
        XCTAssertTrue(SnapshotError.missing(file: "/x/model_2.safetensors").description.contains("/x/model_2.safetensors"))
        XCTAssertTrue(SnapshotError.configMismatch(file: "m", expected: "a", found: "b").description.contains("SNAPSHOT_DIR"))
    }
}
