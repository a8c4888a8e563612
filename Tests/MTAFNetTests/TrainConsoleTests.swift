import Foundation
import XCTest
@testable import MTAFNet

/// `mtaf-mpi train` with its standard output on a full device, behind a closed pipe, or in a file
/// when the run is killed: the run goes on (or its console log is whole up to the kill), and a
/// failing console is reported on standard error with its errno.
final class TrainConsoleTests: XCTestCase {
    private static let root = TinyBenchmark.generate(sourceImages: 4, targetTrainImages: 2, targetValImages: 1)

    /// The `mtaf-mpi` binary built beside the test bundle.
    private var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("mtaf-mpi").path
    }

    /// A SourceOnly config of `iterations` iterations in a new snapshot folder; returns both paths.
    private func config(iterations: Int) throws -> (file: String, snapshots: String) {
        let snapshots = Self.root + "/run-\(UUID().uuidString)"
        let settings = try TinyBenchmark.config(root: Self.root, framework: "SourceOnly", snapshots: snapshots,
                                                overrides: ["TRAIN.MAX_ITERS=\(iterations)", "TRAIN.EARLY_STOP=\(iterations)",
                                                            "TRAIN.SAVE_PRED_EVERY=100"])
        let file = snapshots + ".yml"
        try settings.write(to: file)
        return (file, snapshots)
    }

    /// Starts `train` with standard output on `output` and standard error into a file.
    private func train(_ config: String, output: Any, extra: [String] = []) throws -> (Process, stderr: String) {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary), "build mtaf-mpi first (\(binary))")
        let stderr = config + ".stderr"
        _ = FileManager.default.createFile(atPath: stderr, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["train", "--cfg", config] + extra
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
}
