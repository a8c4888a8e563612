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
                try log.append(iteration: iteration, losses: IterationLosses([("loss_seg_src_main", Double(iteration))]), seconds: 0.5)
            }
        }
        // Resuming from iteration 2 drops the lines of 3 and 4, which will be computed again.
        do {
            let log = try LossLogFile(path: path, resumeIteration: 2)
            try log.append(iteration: 3, losses: IterationLosses([("loss_seg_src_main", 30)]), seconds: 0.5)
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        let objects = try lines.map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(objects.map { $0["iter"] as? Int }, [0, 1, 2, 3])
        XCTAssertEqual(objects[3]["loss_seg_src_main"] as? Double, 30)
    }

    /// A full disk while appending is an error naming the log and its errno (it used to stop the
    /// process in a `try!` inside FileHandle.write).
    func testFullDiskIsAnErrorNamingTheLog() throws {
        let log = try LossLogFile(path: "/dev/full")
        XCTAssertThrowsError(try log.append(iteration: 0, losses: IterationLosses([("loss_seg_src_main", 1)]), seconds: 0.5)) { error in
            XCTAssertEqual(error as? FileIOError, FileIOError(path: "/dev/full", call: "write", errno: ENOSPC))
            XCTAssertEqual("\(error)", "/dev/full: write failed: No space left on device (ENOSPC)")
        }
    }

    /// Resuming cuts a torn last line (a crash mid-write) along with the later iterations.
    func testResumeCutsATornLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("losses-\(UUID().uuidString).jsonl").path
        try Data("{\"iter\": 0, \"seconds\": 1}\n{\"iter\": 1, \"seconds\": 1}\n{\"iter\": 2, \"sec".utf8)
            .write(to: URL(fileURLWithPath: path))
        let log = try LossLogFile(path: path, resumeIteration: 5)
        try log.append(iteration: 2, losses: IterationLosses([]), seconds: 2)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8),
                       "{\"iter\": 0, \"seconds\": 1}\n{\"iter\": 1, \"seconds\": 1}\n{\"iter\": 2, \"seconds\": 2.0000}\n")
    }
}
