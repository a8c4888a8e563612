import Foundation
import XCTest
@testable import MTAFNet

/// `mtaf-mpi train` killed with SIGKILL at arbitrary moments (mid-iteration, mid-snapshot) and
/// resumed with `--resume` ends with exactly the snapshot of an uninterrupted run.
final class TrainKillTests: XCTestCase {
    /// Starts `mtaf-mpi train`; returns the process (output discarded).
    private func start(_ config: String, resume: Bool) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TrainProcess.binary)
        process.arguments = ["train", "--cfg", config] + (resume ? ["--resume"] : [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    func testKilledRunsResumeToTheSameResult() throws {
        let root = try makeTemporaryDirectory(self)
        try TrainProcess.prepare(root: root)

        let reference = try start(try TrainProcess.writeMDisConfig(name: "kill", savePredEvery: 2, root: root, snapshots: root + "/reference"), resume: false)
        reference.waitUntilExit()
        XCTAssertEqual(reference.terminationStatus, 0)

        let config = try TrainProcess.writeMDisConfig(name: "kill", savePredEvery: 2, root: root, snapshots: root + "/killed")
        var stream = RandomStream(seed: 11)
        // Kill each run at a random moment after its first snapshot appeared, until one has made
        // progress past several snapshots; every kill lands in an iteration or a snapshot write.
        var kills = 0, progress: [Int] = []
        let store = SnapshotStore(directory: root + "/killed")
        for _ in 0 ..< 8 {
            let before = store.scan().newest?.iteration ?? -1
            let process = try start(config, resume: true)
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, (store.scan().newest?.iteration ?? -1) <= before, Date() < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
            Thread.sleep(forTimeInterval: 0.1 * stream.nextDouble())
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            process.waitUntilExit()
            progress.append(store.scan().newest?.iteration ?? -1)
        }
        let last = try start(config, resume: true)
        last.waitUntilExit()
        XCTAssertEqual(last.terminationStatus, 0)
        XCTAssertGreaterThan(kills, 0, "no run was killed: the test did not exercise anything")

        let manifest = try SnapshotStore(directory: root + "/reference").readManifest(iteration: 23)
        for record in manifest.files {
            let a = try SafeTensors.read(contentsOf: root + "/reference/" + record.name)
            let b = try SafeTensors.read(contentsOf: root + "/killed/" + record.name)
            XCTAssertEqual(a.names.sorted(), b.names.sorted(), record.name)
            for name in a.names where a.entries[name]!.dtype == .f32 {
                XCTAssertEqual(try a.tensor(name).scalars, try b.tensor(name).scalars, "\(record.name) \(name)")
            }
        }
        XCTAssertTrue(progress.contains { $0 > 0 && $0 < 23 }, "no killed run got past a snapshot: \(progress)")
        print("TrainKillTests: \(kills) runs killed with SIGKILL (newest snapshot after each: \(progress)), "
              + "resumed to an identical model_23")
    }

    /// A fatal signal sent from outside (SIGSEGV) ends the run by that signal, after a line that
    /// names the rank; before, the crash report was printed and training carried on to exit 0.
    func testFatalSignalEndsTheRun() throws {
        let root = try makeTemporaryDirectory(self)
        try TrainProcess.prepare(root: root)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TrainProcess.binary)
        process.arguments = ["train", "--cfg", try TrainProcess.writeMDisConfig(name: "kill", savePredEvery: 2, root: root, snapshots: root + "/signal")]
        // A file, not a pipe: a crash reporter that outlives the process must not block the read.
        let errorsPath = root + "/stderr.txt"
        XCTAssertTrue(FileManager.default.createFile(atPath: errorsPath, contents: nil))
        let errors = try XCTUnwrap(FileHandle(forWritingAtPath: errorsPath))
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let store = SnapshotStore(directory: root + "/signal")
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, store.scan().newest == nil, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertTrue(process.isRunning, "the run ended before the signal")
        kill(process.processIdentifier, SIGSEGV)
        process.waitUntilExit()
        try errors.close()
        let output = try String(contentsOfFile: errorsPath, encoding: .utf8)
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, output)
        XCTAssertEqual(process.terminationStatus, SIGSEGV)
        XCTAssertTrue(output.contains("mtaf-mpi: rank 0 of 1 on "), output)
        XCTAssertTrue(output.contains(" got the fatal signal SIGSEGV (11): the rank ends, and the job fails"), output)
    }
}
