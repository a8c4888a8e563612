import Foundation
import XCTest
@testable import MTAFNet

final class LossLogTests: XCTestCase {
    func testUpstreamLineFormat() {
        let losses = IterationLosses([("loss_seg_src_aux", 1.23456), ("loss_seg_src_main", 0.0004), ("loss_d_main", 0)])
        XCTAssertEqual(losses.upstreamLine(iteration: 7),
                       "iter = 7 loss_seg_src_aux = 1.235  loss_seg_src_main = 0.000  loss_d_main = 0.000 ")
        XCTAssertNil(losses.firstNonFinite)
        XCTAssertEqual(IterationLosses([("a", 1), ("b", .nan)]).firstNonFinite?.name, "b")
    }

    func testJSONLinesAndResumeTruncation() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("losses-\(UUID().uuidString).jsonl").path
        do {
            let log = try LossLogFile(path: path)
            for iteration in 0 ..< 5 {
                log.append(iteration: iteration, losses: IterationLosses([("loss_seg_src_main", Double(iteration))]), seconds: 0.5)
            }
        }
        // Resuming from iteration 2 drops the lines of 3 and 4, which will be computed again.
        do {
            let log = try LossLogFile(path: path, resumeIteration: 2)
            log.append(iteration: 3, losses: IterationLosses([("loss_seg_src_main", 30)]), seconds: 0.5)
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let objects = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(objects.map { $0["iter"] as? Int }, [0, 1, 2, 3])
        XCTAssertEqual(objects[3]["loss_seg_src_main"] as? Double, 30)
    }
}
