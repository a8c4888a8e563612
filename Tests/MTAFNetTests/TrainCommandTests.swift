import Foundation
import XCTest
@testable import MTAFNet

/// `mtaf-mpi train` as a process, where files and the console fail: standard output on a full
/// device, behind a closed pipe, or in a file when the run is killed; two runs on one snapshot
/// folder; a file-size limit hit while writing a snapshot; resume past a damaged snapshot.
final class TrainCommandTests: XCTestCase {
    private static let root = TinyBenchmark.generate(sourceImages: 4, targetTrainImages: 2, targetValImages: 1)

    private var binary: String { TrainProcess.binary }

    /// A SourceOnly config of `iterations` iterations in a new snapshot folder; returns both paths.
    private func config(iterations: Int, overrides: [String] = []) throws -> (file: String, snapshots: String) {
        let snapshots = Self.root + "/run-\(UUID().uuidString)"
        let settings = try TinyBenchmark.config(root: Self.root, framework: "SourceOnly", snapshots: snapshots,
                                                overrides: ["TRAIN.MAX_ITERS=\(iterations)", "TRAIN.EARLY_STOP=\(iterations)",
                                                            "TRAIN.SAVE_PRED_EVERY=100"] + overrides)
        let file = snapshots + ".yml"
        try settings.write(to: file)
        return (file, snapshots)
    }

    /// Starts `train` with standard output on `output` and standard error into a file; `limit`
    /// runs it under `prlimit` with that many bytes as the largest file it may write.
    private func train(_ config: String, output: Any = FileHandle.nullDevice, extra: [String] = [],
                       fileSizeLimit limit: Int? = nil) throws -> (Process, stderr: String) {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary), "build mtaf-mpi first (\(binary))")
        let stderr = config + ".stderr.\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        let process = Process()
        let arguments = ["train", "--cfg", config] + extra
        if let limit {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            process.arguments = ["--fsize=\(limit)", binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
        }
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: stderr)
        try process.run()
        return (process, stderr)
    }

    private func lossLines(_ snapshots: String) -> Int {
        ((try? String(contentsOfFile: snapshots + "/losses.jsonl", encoding: .utf8)) ?? "")
            .split(separator: "\n").count
    }

    /// `--progress > /dev/full` used to die in a `try!` (SIGILL) on the first bar.
    func testFullStandardOutputIsReportedAndTrainingGoesOn() throws {
        let (file, snapshots) = try config(iterations: 3)
        let (process, stderr) = try train(file, output: try XCTUnwrap(FileHandle(forWritingAtPath: "/dev/full")),
                                          extra: ["--progress"])
        process.waitUntilExit()
        let messages = try String(contentsOfFile: stderr, encoding: .utf8)
        XCTAssertEqual(process.terminationReason, .exit, messages)
        XCTAssertEqual(process.terminationStatus, 0, messages)
        XCTAssertTrue(messages.contains("standard output: write failed: No space left on device (ENOSPC)"), messages)
        XCTAssertEqual(messages.components(separatedBy: "write failed").count, 2, "reported once: \(messages)")
        XCTAssertEqual(lossLines(snapshots), 3)
    }

    /// `train | head -c 20`: the reader is gone; SIGPIPE used to kill the run.
    func testClosedStandardOutputIsReportedAndTrainingGoesOn() throws {
        let (file, snapshots) = try config(iterations: 3)
        let pipe = Pipe()
        let (process, stderr) = try train(file, output: pipe)
        try pipe.fileHandleForReading.close()
        process.waitUntilExit()
        let messages = try String(contentsOfFile: stderr, encoding: .utf8)
        XCTAssertEqual(process.terminationReason, .exit, messages)
        XCTAssertEqual(process.terminationStatus, 0, messages)
        XCTAssertTrue(messages.contains("standard output: write failed: Broken pipe (EPIPE)"), messages)
        XCTAssertEqual(lossLines(snapshots), 3)
    }

    /// Standard output in a file and the run killed: the lines printed so far are in the file
    /// (with stdio's full buffering of a redirected stdout it used to be empty).
    func testConsoleLogOfAKilledRunKeepsItsLines() throws {
        let (file, snapshots) = try config(iterations: 1000)
        let log = snapshots + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let (process, _) = try train(file, output: try XCTUnwrap(FileHandle(forWritingAtPath: log)))
        let deadline = Date().addingTimeInterval(120)
        while lossLines(snapshots) < 2 && process.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(process.isRunning, "the run ended before it could be killed")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let console = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(console.contains("training SourceOnly on Cityscapes, Mapillary, IDD"), console)
        XCTAssertTrue(console.contains("iter = 0 "), console)
    }

    /// A second run on a snapshot folder in use fails naming the folder and the holder, and the
    /// first run goes on undisturbed (both used to exit 0, one overwriting the other's files).
    func testSecondRunOnTheSameFolderIsRefused() throws {
        let (file, snapshots) = try config(iterations: 1000)
        let (first, _) = try train(file)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let deadline = Date().addingTimeInterval(120)
        while lossLines(snapshots) < 1 && first.isRunning && Date() < deadline { usleep(20_000) }
        let (second, stderr) = try train(file)
        second.waitUntilExit()
        let messages = try String(contentsOfFile: stderr, encoding: .utf8)
        XCTAssertEqual(second.terminationStatus, 1, messages)
        XCTAssertTrue(messages.contains("\(snapshots) is in use by another training run (host \(ProcessInfo.processInfo.hostName), "
                                        + "PID \(first.processIdentifier)"), messages)
        XCTAssertTrue(first.isRunning)
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // A killed run leaves the lock of a dead PID: the next run takes it over, saying so.
        let (third, thirdErrors) = try train(file, extra: ["--resume"])
        defer { if third.isRunning { kill(third.processIdentifier, SIGKILL) } }
        while !(try String(contentsOfFile: thirdErrors, encoding: .utf8)).contains("taking it over")
                && third.isRunning && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(try String(contentsOfFile: thirdErrors, encoding: .utf8)
                        .contains("was stale: host \(ProcessInfo.processInfo.hostName), PID \(first.processIdentifier) is not running"))
    }

    /// A file-size limit (`ulimit -f`, standing in for a full disk) hit while writing a snapshot
    /// ends the run with an error naming the file and errno and leaves no partial file, and the
    /// resumed run gets through (it used to die of SIGXFSZ).
    func testSnapshotHittingAFileSizeLimitFailsCleanlyAndResumes() throws {
        let (reference, referenceFolder) = try config(iterations: 3)
        let (run, _) = try train(reference)
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0)
        let model = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: referenceFolder + "/model_2.safetensors")[.size] as? Int)

        let (file, snapshots) = try config(iterations: 3)
        let (limited, stderr) = try train(file, fileSizeLimit: model / 2)
        limited.waitUntilExit()
        let messages = try String(contentsOfFile: stderr, encoding: .utf8)
        XCTAssertEqual(limited.terminationReason, .exit, messages)
        XCTAssertEqual(limited.terminationStatus, 1, messages)
        XCTAssertTrue(messages.contains("/.model_2.safetensors.tmp."), messages)
        XCTAssertTrue(messages.contains("write failed: File too large (EFBIG)"), messages)
        let names = try FileManager.default.contentsOfDirectory(atPath: snapshots)
        XCTAssertEqual(names.filter { $0.contains("model_") }, [], "no partial file left")
        XCTAssertFalse(names.contains(SnapshotLock.fileName))

        let (resumed, resumeErrors) = try train(file, extra: ["--resume"])
        resumed.waitUntilExit()
        let resumeMessages = try String(contentsOfFile: resumeErrors, encoding: .utf8)
        XCTAssertEqual(resumed.terminationStatus, 0, resumeMessages)
        XCTAssertEqual(SnapshotStore(directory: snapshots).scan().newest?.iteration, 2)
        XCTAssertEqual(lossLines(snapshots), 3)
    }

    /// `--resume` past a damaged newest snapshot says which one it skipped and why.
    func testResumeSaysWhichSnapshotItSkipped() throws {
        let (file, snapshots) = try config(iterations: 5, overrides: ["TRAIN.SAVE_PRED_EVERY=2"])
        let (run, _) = try train(file)
        run.waitUntilExit()
        XCTAssertEqual(run.terminationStatus, 0)
        let victim = snapshots + "/model_4_state.safetensors"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victim))
        bytes[bytes.count / 2] ^= 1
        try bytes.write(to: URL(fileURLWithPath: victim))
        // What a run killed while writing snapshot 6 would leave: a finished file without its
        // manifest and a temporary file of a writer that is gone.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: snapshots + "/model_6.safetensors"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: snapshots + "/.model_6_state.safetensors.tmp.\(Int32.max).0"))
        let (resumed, stderr) = try train(file, extra: ["--resume"])
        resumed.waitUntilExit()
        let messages = try String(contentsOfFile: stderr, encoding: .utf8)
        XCTAssertEqual(resumed.terminationStatus, 0, messages)
        XCTAssertTrue(messages.contains("--resume skips snapshot 4 in \(snapshots): model_4_state.safetensors has CRC32C 0x"),
                      messages)
        XCTAssertTrue(messages.contains("removed what interrupted writes left in \(snapshots): "
                                        + ".model_6_state.safetensors.tmp.\(Int32.max).0, model_6.safetensors"), messages)
        let names = try FileManager.default.contentsOfDirectory(atPath: snapshots)
        XCTAssertFalse(names.contains("model_6.safetensors"))
        XCTAssertEqual(SnapshotStore(directory: snapshots).scan().newest?.iteration, 4)
    }
}
