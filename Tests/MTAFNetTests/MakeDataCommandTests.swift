import Foundation
import XCTest
@testable import MTAFNet

/// `mtaf-mpi make-data` as a process: `--classes` and `--pretext` reach their generators, and a
/// class set it does not draw, or a benchmark option with `--pretext`, is refused before anything
/// is written.
final class MakeDataCommandTests: XCTestCase {
    private func makeData(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try TrainProcess.run(["make-data"] + arguments)
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

    /// `--pretext` writes the pretext generator's files (default folder data/pretext).
    func testPretextOptionReachesItsGenerator() throws {
        let root = try makeTemporaryDirectory(self)
        let run = try makeData(["--pretext", "--out", root + "/cli", "--seed", "3", "--pretext-train-images", "2",
                                "--pretext-val-images", "1"])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("Wrote the pretext data (seed 3, 320x160 images)"), run.output)
        var options = SyntheticPretext.Options()
        options.outputDirectory = root + "/library"
        options.seed = 3
        options.trainImages = 2
        options.valImages = 1
        _ = try SyntheticPretext.generate(options)
        for file in ["GTA5/images/00001.png", "GTA5/labels/00003.png", "gta5_list/all.txt", "gta5_list/val.txt"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: "\(root)/cli/\(file)")),
                           try Data(contentsOf: URL(fileURLWithPath: "\(root)/library/\(file)")), file)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/cli/Cityscapes"))
        XCTAssertEqual(SyntheticPretext.Options().outputDirectory, "data/pretext")

        let refused = try makeData(["--pretext", "--out", root + "/refused", "--classes", "19"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("the pretext data has neither"), refused.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/refused"))
    }
}
