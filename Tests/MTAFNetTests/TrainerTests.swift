import Distributed
import Foundation
import XCTest
@testable import MTAFNet

/// The training loop on a tiny synthetic benchmark: exact resume, snapshots, non-finite losses,
/// and the test command's scan.
final class TrainerTests: XCTestCase {
    private static let root = TinyBenchmark.generate(sourceImages: 6, targetTrainImages: 4, targetValImages: 3)

    /// A config for `framework` on the tiny benchmark with its own snapshot folder.
    private func config(_ framework: String, snapshots: String, overrides: [String] = []) throws -> MTAFConfig {
        try TinyBenchmark.config(root: Self.root, framework: framework, snapshots: snapshots, overrides: overrides)
    }

    private func snapshotFolder() -> String {
        Self.root + "/snapshots-\(UUID().uuidString)"
    }

    private func train(_ config: MTAFConfig, resume: Bool = false) throws -> TrainingSummary {
        var options = TrainerOptions()
        options.resume = resume
        return try Trainer(config: config, cluster: LocalCluster(), options: options, log: { _ in }).run()
    }

    /// Every tensor of every file of snapshot `iteration` in two folders, bit for bit.
    private func assertSnapshotsIdentical(_ a: String, _ b: String, iteration: Int, file: StaticString = #filePath,
                                          line: UInt = #line) throws {
        let manifest = try SnapshotStore(directory: a).readManifest(iteration: iteration)
        XCTAssertGreaterThan(manifest.files.count, 2, file: file, line: line)
        for record in manifest.files {
            let left = try SafeTensors.read(contentsOf: a + "/" + record.name)
            let right = try SafeTensors.read(contentsOf: b + "/" + record.name)
            XCTAssertEqual(left.names.sorted(), right.names.sorted(), record.name, file: file, line: line)
            for name in left.names {
                if left.entries[name]!.dtype == .i64 {
                    XCTAssertEqual(try left.int64s(name).values, try right.int64s(name).values, "\(record.name) \(name)",
                                   file: file, line: line)
                } else {
                    XCTAssertEqual(try left.tensor(name).scalars, try right.tensor(name).scalars, "\(record.name) \(name)",
                                   file: file, line: line)
                }
            }
        }
    }

    /// A run interrupted after iteration 2 and resumed equals the uninterrupted run exactly, for
    /// the framework with the most state (MDis T = 3: 12 discriminators with Adam moments).
    func testResumedRunEqualsUninterruptedRun() throws {
        let whole = snapshotFolder(), pieces = snapshotFolder()
        let summary = try train(try config("MDis", snapshots: whole))
        XCTAssertEqual(summary.snapshots, [2, 4, 5])
        XCTAssertEqual(try train(try config("MDis", snapshots: pieces, overrides: ["TRAIN.EARLY_STOP=3"])).snapshots, [2])
        let resumed = try train(try config("MDis", snapshots: pieces), resume: true)
        XCTAssertEqual(resumed.firstIteration, 3)
        XCTAssertEqual(resumed.snapshots, [4, 5])
        try assertSnapshotsIdentical(whole, pieces, iteration: 5)
        // The loss log holds each iteration once.
        let lines = try String(contentsOfFile: pieces + "/losses.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 6)
    }

    /// Requests a stop while iteration `at` runs, as a signal handler would.
    private final class StopDuring: TrainingObserver {
        let request = StopRequest()
        let at: Int
        init(_ at: Int) { self.at = at }
        func iterationDidFinish(_ iteration: Int, losses: IterationLosses, batch: TrainingBatch,
                                state: TrainingState) throws {
            if iteration == at { request.request(signal: SIGTERM) }
        }
    }

    private func train(_ config: MTAFConfig, resume: Bool = false, stoppingDuring at: Int) throws -> TrainingSummary {
        var options = TrainerOptions()
        options.resume = resume
        let stop = StopDuring(at)
        options.stop = stop.request
        let trainer = Trainer(config: config, cluster: LocalCluster(), options: options, log: { _ in })
        trainer.observers.append(stop)
        return try trainer.run()
    }

    /// A stop requested during iteration 3 ends the run before iteration 4 with snapshot 3 (not
    /// a periodic one), and the resumed run ends exactly where the uninterrupted run does; a stop
    /// during iteration 2 takes the periodic snapshot 2 only once; one requested before the
    /// first iteration writes nothing.
    func testRequestedStopSnapshotsTheLastIterationAndResumes() throws {
        let whole = snapshotFolder(), stopped = snapshotFolder()
        _ = try train(try config("MDis", snapshots: whole))
        let first = try train(try config("MDis", snapshots: stopped), stoppingDuring: 3)
        XCTAssertEqual(first.stoppedBy, SIGTERM)
        XCTAssertEqual(first.endIteration, 4)
        XCTAssertEqual(first.snapshots, [2, 3])
        XCTAssertEqual(SnapshotStore(directory: stopped).scan().newest?.iteration, 3)
        let rest = try train(try config("MDis", snapshots: stopped), resume: true)
        XCTAssertNil(rest.stoppedBy)
        XCTAssertEqual(rest.firstIteration, 4)
        XCTAssertEqual(rest.snapshots, [4, 5])
        try assertSnapshotsIdentical(whole, stopped, iteration: 5)

        let periodic = try train(try config("MDis", snapshots: snapshotFolder()), stoppingDuring: 2)
        XCTAssertEqual(periodic.snapshots, [2])
        XCTAssertEqual(periodic.endIteration, 3)

        let early = snapshotFolder()
        var options = TrainerOptions()
        options.stop = StopRequest()
        options.stop?.request(signal: SIGUSR1)
        let none = try Trainer(config: try config("MDis", snapshots: early), cluster: LocalCluster(), options: options,
                               log: { _ in }).run()
        XCTAssertEqual(none.stoppedBy, SIGUSR1)
        XCTAssertEqual(none.endIteration, 0)
        XCTAssertEqual(none.snapshots, [])
        XCTAssertNil(SnapshotStore(directory: early).scan().newest)
    }

    /// A snapshot whose manifest never got written (the process was killed while writing it) is
    /// ignored: the run resumes from the previous complete one and recomputes the same result.
    func testResumeSkipsASnapshotKilledWhileWriting() throws {
        let whole = snapshotFolder(), broken = snapshotFolder()
        _ = try train(try config("MTKT", snapshots: whole))
        _ = try train(try config("MTKT", snapshots: broken))
        try FileManager.default.removeItem(atPath: broken + "/" + SnapshotManifest.fileName(iteration: 5))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: broken + "/model_5.safetensors"))
        try handle.truncate(atOffset: 100)
        try handle.close()
        let resumed = try train(try config("MTKT", snapshots: broken), resume: true)
        XCTAssertEqual(resumed.firstIteration, 5)
        try assertSnapshotsIdentical(whole, broken, iteration: 5)
    }

    /// A snapshot whose last file cannot be written (here a folder stands where it goes) fails
    /// the run and leaves none of its files behind (they used to stay and, on a full disk, hold
    /// the space the resumed run needed for the same snapshot).
    func testFailedSnapshotLeavesNoFiles() throws {
        let folder = snapshotFolder()
        try FileManager.default.createDirectory(atPath: folder + "/model_2_state.safetensors", withIntermediateDirectories: true)
        XCTAssertThrowsError(try train(try config("Baseline", snapshots: folder, overrides: ["TRAIN.EARLY_STOP=3"]))) { error in
            XCTAssertTrue("\(error)".contains("model_2_state.safetensors: rename failed"), "\(error)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        XCTAssertEqual(names.filter { $0.hasPrefix("model_2") }, ["model_2_state.safetensors"], "only the obstacle is left")
        XCTAssertFalse(names.contains(SnapshotLock.fileName), "the lock is released when the run fails")
    }

    func testResumeRefusesAnotherConfiguration() throws {
        let folder = snapshotFolder()
        _ = try train(try config("Baseline", snapshots: folder, overrides: ["TRAIN.EARLY_STOP=3"]))
        XCTAssertThrowsError(try train(try config("Baseline", snapshots: folder, overrides: ["TRAIN.LEARNING_RATE=0.02"]),
                                       resume: true)) { error in
            guard case .configMismatch = error as? SnapshotError else { return XCTFail("wrong error \(error)") }
        }
    }

    /// A diverging run stops with an error naming the loss, iteration and domain, and leaves the
    /// last snapshot complete.
    func testNonFiniteLossStopsTheRun() throws {
        let folder = snapshotFolder()
        XCTAssertThrowsError(try train(try config("SourceOnly", snapshots: folder,
                                                  overrides: ["TRAIN.LEARNING_RATE=1.0e+30", "TRAIN.EARLY_STOP=20"]))) { error in
            guard case let .nonFiniteLoss(name, _, iteration, domain, restartPoint) = error as? TrainerError else {
                return XCTFail("wrong error \(error)")
            }
            XCTAssertTrue(name.hasPrefix("loss_seg_src"))
            XCTAssertGreaterThan(iteration, 0)
            XCTAssertEqual(domain, "source batch")
            XCTAssertTrue("\(error)".contains("iteration \(iteration)"))
            XCTAssertEqual(restartPoint, "no finite snapshot in \(folder)")
        }
        if let manifest = SnapshotStore(directory: folder).scan().newest {
            XCTAssertTrue(SnapshotStore(directory: folder).isComplete(manifest))
        }
    }

    /// The running statistics can overflow before the loss does (case 5): a snapshot holding a
    /// non-finite tensor is not written, the run stops naming the tensor, and the stop names
    /// the newest snapshot that is finite.
    func testNonFiniteStatisticsStopTheRunBeforeTheSnapshot() throws {
        let folder = snapshotFolder()
        let trainer = Trainer(config: try config("SourceOnly", snapshots: folder), cluster: LocalCluster(), log: { _ in })
        trainer.observers.append(RunningVariancePoisoner(iteration: 3))
        XCTAssertThrowsError(try trainer.run()) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("model_4.safetensors"), message)
            XCTAssertTrue(message.contains("'bn1.running_var' holds inf at element 0 of"), message)
            XCTAssertTrue(message.contains("newest finite snapshot: \(folder)/model_2.safetensors"), message)
        }
        let store = SnapshotStore(directory: folder)
        XCTAssertEqual(store.scan().newest?.iteration, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path("model_4.safetensors")))
    }

    /// The discriminator halves its input five times: smaller inputs are refused up front.
    func testInputTooSmallForTheDiscriminatorIsNamed() throws {
        XCTAssertThrowsError(try train(try config("Baseline", snapshots: snapshotFolder(),
                                                  overrides: ["TRAIN.INPUT_SIZE_TARGET=[48, 24]"]))) {
            XCTAssertEqual($0 as? TrainerError, .inputTooSmall(key: "TRAIN.INPUT_SIZE_TARGET", size: [48, 24], minimum: 32))
        }
    }

    func testMissingRestoreFileIsNamed() throws {
        XCTAssertThrowsError(try train(try config("SourceOnly", snapshots: snapshotFolder(),
                                                  overrides: ["TRAIN.RESTORE_FROM=/nonexistent/init.safetensors"]))) {
            XCTAssertEqual($0 as? TrainerError, .missingRestoreFile(key: "TRAIN.RESTORE_FROM", path: "/nonexistent/init.safetensors"))
        }
    }

    /// Non-finite weights are refused wherever a checkpoint comes in (case 6): TRAIN.RESTORE_FROM,
    /// --resume and TEST.RESTORE_FROM each fail naming the file and the tensor.
    func testNonFiniteCheckpointsAreRefusedOnEveryLoad() throws {
        let folder = snapshotFolder()
        _ = try train(try config("SourceOnly", snapshots: folder, overrides: ["TRAIN.EARLY_STOP=3"]))
        let snapshot = folder + "/model_2.safetensors"
        try overwrite("bn1.running_var", element: 1, with: .nan, inFile: snapshot)
        // Without its checksums (a manifest of an older version) the damaged snapshot is not
        // skipped on resume, so the values themselves must be refused.
        let manifestPath = folder + "/model_2.manifest.json"
        var manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
                                     as? [String: Any])
        manifest["files"] = (manifest["files"] as? [[String: Any]])?.map { $0.filter { $0.key != "crc32c" } }
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
        let expected = "\(snapshot): tensor 'bn1.running_var' holds nan at element 1 of"
        XCTAssertThrowsError(try train(try config("SourceOnly", snapshots: snapshotFolder(),
                                                  overrides: ["TRAIN.RESTORE_FROM=\(snapshot)"]))) {
            XCTAssertTrue("\($0)".contains(expected), "\($0)")
        }
        XCTAssertThrowsError(try train(try config("SourceOnly", snapshots: folder), resume: true)) {
            XCTAssertTrue("\($0)".contains(expected), "\($0)")
        }
        var single = try config("SourceOnly", snapshots: folder)
        single.test.mode = "single"
        single.test.restoreFrom = [snapshot]
        XCTAssertThrowsError(try TestRunner(config: single, cluster: LocalCluster(), log: { _ in }).run()) {
            XCTAssertTrue("\($0)".contains(expected), "\($0)")
        }
    }

    /// Best mode scans the snapshots, caches per target, and single mode on the best checkpoint
    /// reproduces the cached numbers.
    func testBestModeScansSnapshotsAndSingleModeAgrees() throws {
        let folder = snapshotFolder()
        let settings = try config("Baseline", snapshots: folder)
        _ = try train(settings)
        var lines: [String] = []
        let evaluated = try TestRunner(config: settings, cluster: LocalCluster(), log: { lines.append($0) }).run()
        XCTAssertEqual(evaluated.map(\.checkpoint), [2, 4].map { folder + "/model_\($0).safetensors" })
        XCTAssertTrue(evaluated.allSatisfy { $0.results.map(\.target) == ["Cityscapes", "Mapillary", "IDD"] })
        XCTAssertTrue(lines.contains("Multi-target: Cityscapes, Mapillary, IDD"))
        for target in ["Cityscapes", "Mapillary", "IDD"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/\(target)/all_res.json"))
        }
        var single = settings
        single.test.mode = "single"
        single.test.restoreFrom = [folder + "/model_4.safetensors"]
        let again = try TestRunner(config: single, cluster: LocalCluster(), log: { _ in }).run()
        for (a, b) in zip(again[0].results, evaluated[1].results) {
            XCTAssertEqual(a.mIoU, b.mIoU, a.target)
            XCTAssertEqual(a.iou.map { $0.isNaN ? -1 : $0 }, b.iou.map { $0.isNaN ? -1 : $0 }, a.target)
        }
        // Another set has its own cache: best mode on the tune split scores other images.
        var tune = settings
        tune.test.setTarget = ["tune", "tune", "tune"]
        let tuned = try TestRunner(config: tune, cluster: LocalCluster(), log: { _ in }).run()
        for target in ["Cityscapes", "Mapillary", "IDD"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/\(target)/all_res_tune.json"))
        }
        XCTAssertNotEqual(tuned.flatMap { $0.results.map(\.mIoU) }, evaluated.flatMap { $0.results.map(\.mIoU) })
    }
}

/// Sets the segmenter's first BatchNorm running variance to +Inf after one iteration, as an
/// overflowing running statistic would, while the losses stay finite.
private final class RunningVariancePoisoner: TrainingObserver {
    let iteration: Int

    init(iteration: Int) { self.iteration = iteration }

    func iterationDidFinish(_ iteration: Int, losses: IterationLosses, batch: TrainingBatch, state: TrainingState) throws {
        guard iteration == self.iteration,
              case let .floats(store, id)? = state.segmenter.stateDict.entry(forKey: "bn1.running_var")?.slot else { return }
        store.withValues(id) { $0[0] = .infinity }
    }
}
