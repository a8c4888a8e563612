import Foundation
import XCTest
@testable import MTAFNet

/// `mtaf-mpi make-data` as a process: `--classes` reaches the generator, and a class set it does
/// not draw is refused before anything is written.
final class MakeDataCommandTests: XCTestCase {
    private func makeData(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let binary = TrainProcess.binary
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary), "build mtaf-mpi first (\(binary))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["make-data"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// The command's files equal the generator's for the same seed and class set.
    func testClassesOptionReachesTheGenerator() throws {
        let root = try makeTemporaryDirectory(self)
        let counts = ["--source-images", "2", "--target-train-images", "1", "--target-val-images", "2",
                      "--target-tune-images", "0", "--seed", "4"]
        let run = try makeData(["--out", root + "/cli", "--classes", "19"] + counts)
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("19-class scenes"), run.output)
        var options = SyntheticBenchmark.Options()
        options.outputDirectory = root + "/library"
        options.seed = 4
        options.classes = 19
        options.sourceImages = 2
        options.targetTrainImages = 1
        options.targetValImages = 2
        options.targetTuneImages = 0
        _ = try SyntheticBenchmark.generate(options)
        var defaults = options
        defaults.outputDirectory = root + "/default"
        defaults.classes = 7
        _ = try SyntheticBenchmark.generate(defaults)
        for file in ["GTA5/labels/00002.png", "Mapillary/validation/labels/synthetic_000001.png",
                     "IDD/gtFine/val/100/000001_gtFine_labelids.png"] {
            let cli = try Data(contentsOf: URL(fileURLWithPath: "\(root)/cli/\(file)"))
            XCTAssertEqual(cli, try Data(contentsOf: URL(fileURLWithPath: "\(root)/library/\(file)")), file)
            XCTAssertNotEqual(cli, try Data(contentsOf: URL(fileURLWithPath: "\(root)/default/\(file)")), file)
        }
    }

    func testUnknownClassSetIsRefused() throws {
        let root = try makeTemporaryDirectory(self)
        let run = try makeData(["--out", root + "/out", "--classes", "16"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.output.contains("--classes must be 7 or 19, got 16."), run.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/out"))
    }
}
