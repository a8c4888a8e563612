import Foundation
import XCTest
@testable import MTAFNet

final class TestReportTests: XCTestCase {
    private let names = ["flat", "sky"]

    private func result(_ target: String, _ iou: [Double]) -> TargetResult {
        TargetResult(target: target, classNames: names, iou: iou,
                     mIoU: ConfusionMatrix.roundedPercent(nanMean(iou)))
    }

    func testSingleModeTables() throws {
        let report = TestReport(mode: "single", targets: ["Cityscapes", "IDD"], classNames: names, evaluated: [
            CheckpointResults(checkpoint: "/s/model_4.safetensors",
                              targets: [result("Cityscapes", [0.5, 0.25]), result("IDD", [0.123456, .nan])]),
        ])
        // mIoUs 37.5 and 12.35: the average is round((37.5 + 12.35) / 2, 2), as best mode computes it.
        XCTAssertEqual(report.evaluated[0].average, ConfusionMatrix.roundedPercent((37.5 + 12.35) / 2 / 100))
        let lines = report.markdown.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("## Checkpoint `/s/model_4.safetensors`"))
        XCTAssertTrue(lines.contains("| Class | Cityscapes | IDD | Mean |"))
        XCTAssertTrue(lines.contains("| flat | 50.00 | 12.35 | 31.17 |"))
        XCTAssertTrue(lines.contains("| sky | 25.00 | nan | 25.00 |"))
        XCTAssertTrue(lines.contains("| **mIoU** | **37.50** | **12.35** | **\(String(format: "%.2f", report.evaluated[0].average))** |"))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)").path
        let paths = try report.write(toDirectory: folder)
        XCTAssertEqual([paths.json, paths.markdown], [folder + "/results_single.json", folder + "/results_single.md"])
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: paths.json)))
            as? [String: Any])
        XCTAssertEqual(json["mode"] as? String, "single")
        XCTAssertEqual(json["targets"] as? [String], ["Cityscapes", "IDD"])
        let evaluated = try XCTUnwrap(json["evaluated"] as? [[String: Any]])
        let targets = try XCTUnwrap(evaluated[0]["targets"] as? [[String: Any]])
        XCTAssertEqual(targets[0]["miou"] as? Double, 37.5)
        XCTAssertTrue((targets[1]["iou"] as? [Any])?[1] is NSNull, "NaN is written as null")
        XCTAssertEqual(try String(contentsOfFile: paths.markdown, encoding: .utf8), report.markdown)
        // The JSON decodes back.
        let decoded = try JSONDecoder().decode(TestReport.self, from: Data(contentsOf: URL(fileURLWithPath: paths.json)))
        XCTAssertEqual(decoded.evaluated[0].targets[1].iou[0], 0.123456)
        XCTAssertTrue(decoded.evaluated[0].targets[1].iou[1].isNaN)
    }

    func testBestModeTables() {
        let a = CheckpointResults(checkpoint: "/s/model_2.safetensors",
                                  targets: [result("Cityscapes", [0.6, 0.6]), result("IDD", [0.1, 0.1])])
        let b = CheckpointResults(checkpoint: "/s/model_4.safetensors",
                                  targets: [result("Cityscapes", [0.4, 0.4]), result("IDD", [0.5, 0.5])])
        let report = TestReport(mode: "best", targets: ["Cityscapes", "IDD"], classNames: names, evaluated: [a, b],
                                bestPerTarget: [TargetBest(target: "Cityscapes", checkpoint: a.checkpoint, result: a.targets[0]),
                                                TargetBest(target: "IDD", checkpoint: b.checkpoint, result: b.targets[1])],
                                bestAverage: b)
        let lines = report.markdown.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("## Best average: `/s/model_4.safetensors` (mIoU 45.00)"))
        XCTAssertTrue(lines.contains("| checkpoint | `model_2.safetensors` | `model_4.safetensors` |"))
        XCTAssertTrue(lines.contains("| flat | 60.00 | 50.00 |"))
        XCTAssertTrue(lines.contains("| **mIoU** | **60.00** | **50.00** |"))
        XCTAssertTrue(lines.contains("| `model_2.safetensors` | 60.00 | 10.00 | 35.00 |"))
        XCTAssertTrue(lines.contains("| `model_4.safetensors` | 40.00 | 50.00 | 45.00 |"))
    }

    /// A single-mode and a best-mode report written into one folder keep both files of each
    /// (a later single-mode `test` used to overwrite the best-mode tables).
    func testModesDoNotOverwriteEachOther() throws {
        let checkpoint = CheckpointResults(checkpoint: "/s/model_2.safetensors", targets: [result("IDD", [0.5, 0.25])])
        let best = TestReport(mode: "best", targets: ["IDD"], classNames: names, evaluated: [checkpoint],
                              bestPerTarget: [TargetBest(target: "IDD", checkpoint: checkpoint.checkpoint,
                                                         result: checkpoint.targets[0])],
                              bestAverage: checkpoint)
        let single = TestReport(mode: "single", targets: ["IDD"], classNames: names, evaluated: [checkpoint])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)").path
        let bestPaths = try best.write(toDirectory: folder)
        let singlePaths = try single.write(toDirectory: folder)
        XCTAssertEqual(try String(contentsOfFile: bestPaths.markdown, encoding: .utf8), best.markdown)
        XCTAssertEqual(try String(contentsOfFile: singlePaths.markdown, encoding: .utf8), single.markdown)
        let decoded = try JSONDecoder().decode(TestReport.self, from: Data(contentsOf: URL(fileURLWithPath: bestPaths.json)))
        XCTAssertEqual(decoded.mode, "best")
        XCTAssertEqual(decoded.bestAverage?.checkpoint, "/s/model_2.safetensors")
    }
}
