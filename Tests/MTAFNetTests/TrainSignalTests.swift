import Foundation
import XCTest
@testable import MTAFNet

/// `mtaf-mpi train` stopped by SIGTERM, SIGINT or SIGUSR1 at random moments ends with exit
/// status 75 and a snapshot of the last iteration it ran (no iteration is lost), also when more
/// signals arrive while that snapshot is written; resumed with `--resume`, the runs end with
/// exactly the snapshot of an uninterrupted run.
final class TrainSignalTests: XCTestCase {
    /// The documented exit status of a stopped run (EX_TEMPFAIL).
    private let stoppedStatus: Int32 = 75

    /// Starts `mtaf-mpi train`; standard error goes to `errors` (the handler's lines).
    private func start(_ config: String, resume: Bool, errors: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TrainProcess.binary)
        process.arguments = ["train", "--cfg", config] + (resume ? ["--resume"] : [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        return process
    }

    /// The iterations in the loss log (one line per iteration run and kept).
    private func loggedIterations(_ folder: String) -> [Int] {
        guard let text = try? String(contentsOfFile: folder + "/losses.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["iter"] as? Int
        }
    }

    /// Every tensor of snapshot 23 in the two folders, bit for bit (counters included).
    private func assertFinalSnapshotsIdentical(_ a: String, _ b: String) throws {
        let manifest = try SnapshotStore(directory: a).readManifest(iteration: 23)
        XCTAssertGreaterThan(manifest.files.count, 2)
        for record in manifest.files {
            let left = try SafeTensors.read(contentsOf: a + "/" + record.name)
            let right = try SafeTensors.read(contentsOf: b + "/" + record.name)
            XCTAssertEqual(left.names.sorted(), right.names.sorted(), record.name)
            for name in left.names {
                if left.entries[name]!.dtype == .i64 {
                    XCTAssertEqual(try left.int64s(name).values, try right.int64s(name).values, "\(record.name) \(name)")
                } else {
                    XCTAssertEqual(try left.tensor(name).scalars, try right.tensor(name).scalars, "\(record.name) \(name)")
                }
            }
        }
    }

    func testStoppedRunsResumeToTheSameResult() throws {
        let root = try makeTemporaryDirectory(self)
        try TrainProcess.prepare(root: root)
        let reference = try start(try TrainProcess.writeMDisConfig(name: "signals", savePredEvery: 10, root: root, snapshots: root + "/reference"), resume: false,
                                  errors: root + "/reference.err")
        reference.waitUntilExit()
        XCTAssertEqual(reference.terminationStatus, 0)

        let folder = root + "/stopped"
        let config = try TrainProcess.writeMDisConfig(name: "signals", savePredEvery: 10, root: root, snapshots: folder)
        let store = SnapshotStore(directory: folder)
        var stream = RandomStream(seed: 5)
        let signals: [Int32] = [SIGTERM, SIGINT, SIGUSR1]
        var stops: [String] = [], burstStopped = false
        // Each run gets one signal at a random moment after it logged a new iteration (so it
        // makes progress); the third run also gets a SIGTERM every millisecond after its first
        // signal until it exits, so signals land in its snapshot. A last run finishes.
        for run in 0 ..< 8 {
            let before = loggedIterations(folder).last ?? -1
            let errors = root + "/run\(run).err"
            let process = try start(config, resume: true, errors: errors)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, (loggedIterations(folder).last ?? -1) <= before, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
            Thread.sleep(forTimeInterval: 0.3 * stream.nextDouble())
            let signal = signals[Int(stream.nextDouble() * Double(signals.count)) % signals.count]
            let burst = run == 2
            if process.isRunning { kill(process.processIdentifier, signal) }
            while burst, process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                Thread.sleep(forTimeInterval: 0.001)
            }
            process.waitUntilExit()
            let status = process.terminationStatus
            XCTAssertEqual(process.terminationReason, .exit, "run \(run) died of a signal")
            let latest = store.scan().newest?.iteration ?? -1
            if status == 0 {
                XCTAssertEqual(latest, 23, "run \(run) exited 0 before the end")
                break
            }
            XCTAssertEqual(status, stoppedStatus, "run \(run): exit status")
            // No iteration is lost: the stop wrote the snapshot of the last iteration it logged.
            let logged = loggedIterations(folder)
            XCTAssertEqual(latest, logged.last ?? -1, "run \(run): the newest snapshot is not the last logged iteration")
            XCTAssertEqual(logged, Array(0 ..< logged.count), "run \(run): the loss log has gaps or repeats")
            let said = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            XCTAssertTrue(said.contains("stopping after this iteration, with a snapshot"), "run \(run): \(said)")
            if burst {
                XCTAssertTrue(said.contains("already stopping"), "run \(run): the burst sent one signal only")
                burstStopped = true
            }
            stops.append("\(StopRequest.name(of: signal)) → model_\(latest)")
        }
        let last = try start(config, resume: true, errors: root + "/last.err")
        last.waitUntilExit()
        XCTAssertEqual(last.terminationStatus, 0)
        XCTAssertEqual(store.scan().newest?.iteration, 23)
        XCTAssertGreaterThan(stops.count, 3, "too few runs were stopped to exercise anything: \(stops)")
        XCTAssertTrue(burstStopped, "the run under a burst of SIGTERMs finished instead of stopping")
        try assertFinalSnapshotsIdentical(root + "/reference", folder)
        print("TrainSignalTests: \(stops.count) runs stopped (\(stops.joined(separator: ", "))), "
              + "resumed to an identical model_23")
    }
}
