import Foundation
import XCTest
@testable import MTAFNet

/// `mtaf-mpi make-data` as a process: `--classes`, `--benchmark` and `--pretext` reach their generators, and a
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

    /// `--benchmark distinct` draws the distinct shift set (docs/benchmark.md).
    func testBenchmarkOptionReachesTheGenerator() throws {
        let root = try makeTemporaryDirectory(self)
        let run = try makeData(["--out", root + "/cli", "--benchmark", "distinct", "--source-images", "1",
                                "--target-train-images", "1", "--target-val-images", "1", "--target-tune-images", "0"])
        XCTAssertEqual(run.status, 0, run.output)
        XCTAssertTrue(run.output.contains("Wrote the distinct synthetic benchmark"), run.output)
        let size = SyntheticBenchmark.Options().size
        for (domain, file) in [(SyntheticDomain.vistas, "Mapillary/train/images/synthetic_000000.png"),
                               (.indian, "IDD/leftImg8bit/train/0/000000_leftImg8bit.png")] {
            let written = try PNG.readRGB(atPath: "\(root)/cli/\(file)")
            let distinct = SyntheticBenchmark.scene(domain: domain, split: 0, index: 0, seed: 0, size: size, shifts: .distinct)
            let standard = SyntheticBenchmark.scene(domain: domain, split: 0, index: 0, seed: 0, size: size)
            XCTAssertEqual(written.pixels, distinct.pixelImage.pixels, file)
            XCTAssertNotEqual(written.pixels, standard.pixelImage.pixels, file)
        }
        let refused = try makeData(["--out", root + "/refused", "--benchmark", "harder"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/refused"))
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

        for option in [["--classes", "19"], ["--benchmark", "distinct"], ["--check-gap"]] {
            let refused = try makeData(["--pretext", "--out", root + "/refused"] + option)
            XCTAssertNotEqual(refused.status, 0, "\(option)")
            XCTAssertTrue(refused.output.contains("the pretext data has none of them"), refused.output)
            XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/refused"))
        }
    }
}
