import XCTest
@testable import MTAFNet

final class ConfusionMatrixTests: XCTestCase {
    /// A hand-computed case: 3 classes, an ignored label, a class absent everywhere (NaN) and a
    /// class predicted but absent from the ground truth (IoU 0).
    func testIoUMatchesHandComputation() {
        var matrix = ConfusionMatrix(classCount: 4)
        let labels: [Int32] = [0, 0, 0, 1, 1, 255, 2, 0]
        let predictions: [Int32] = [0, 0, 1, 1, 3, 2, 3, 0]
        labels.withUnsafeBufferPointer { l in predictions.withUnsafeBufferPointer { matrix.add(labels: l, predictions: $0) } }
        XCTAssertEqual(matrix[0, 0], 3)
        XCTAssertEqual(matrix[0, 1], 1)
        XCTAssertEqual(matrix[1, 1], 1)
        XCTAssertEqual(matrix[1, 3], 1)
        XCTAssertEqual(matrix[2, 3], 1)
        XCTAssertEqual(matrix.counts.reduce(0, +), 7, "the 255 pixel is skipped")
        let iou = matrix.perClassIoU
        XCTAssertEqual(iou[0], 3.0 / 4.0, accuracy: 1e-12)          // 3 / (4 + 3 − 3)
        XCTAssertEqual(iou[1], 1.0 / 3.0, accuracy: 1e-12)          // 1 / (2 + 2 − 1)
        XCTAssertEqual(iou[2], 0.0)                                 // in the ground truth, never predicted right
        XCTAssertEqual(iou[3], 0.0)                                 // predicted, absent from the ground truth
        XCTAssertEqual(matrix.meanIoUPercent, ConfusionMatrix.roundedPercent((0.75 + 1.0 / 3.0) / 4))
    }

    func testAbsentClassIsNaNAndIgnoredByTheMean() {
        var matrix = ConfusionMatrix(classCount: 3)
        let labels: [Int32] = [0, 1, 1]
        let predictions: [Int32] = [0, 1, 0]
        labels.withUnsafeBufferPointer { l in predictions.withUnsafeBufferPointer { matrix.add(labels: l, predictions: $0) } }
        XCTAssertTrue(matrix.perClassIoU[2].isNaN)
        XCTAssertEqual(matrix.meanIoUPercent, ConfusionMatrix.roundedPercent((0.5 + 0.5) / 2))
        XCTAssertEqual(matrix.meanIoUPercent, 50.0)
    }

    func testSumOfPartsEqualsWhole() {
        var stream = RandomStream(seed: 7)
        let labels = (0 ..< 500).map { _ in Int32(stream.nextInt(below: 6)) == 5 ? 255 : Int32(stream.nextInt(below: 5)) }
        let predictions = (0 ..< 500).map { _ in Int32(stream.nextInt(below: 5)) }
        var whole = ConfusionMatrix(classCount: 5)
        labels.withUnsafeBufferPointer { l in predictions.withUnsafeBufferPointer { whole.add(labels: l, predictions: $0) } }
        var first = ConfusionMatrix(classCount: 5), second = ConfusionMatrix(classCount: 5)
        labels.withUnsafeBufferPointer { l in
            predictions.withUnsafeBufferPointer { p in
                first.add(labels: UnsafeBufferPointer(rebasing: l[0 ..< 200]), predictions: UnsafeBufferPointer(rebasing: p[0 ..< 200]))
                second.add(labels: UnsafeBufferPointer(rebasing: l[200...]), predictions: UnsafeBufferPointer(rebasing: p[200...]))
            }
        }
        first.add(second)
        XCTAssertEqual(first, whole)
        XCTAssertEqual(whole.counts.reduce(0, +), Int64(labels.filter { $0 != 255 }.count))
    }

    func testRoundedPercent() {
        XCTAssertEqual(ConfusionMatrix.roundedPercent(0.123456), 12.35)
        XCTAssertEqual(ConfusionMatrix.roundedPercent(0.5), 50.0)
        XCTAssertTrue(ConfusionMatrix.roundedPercent(.nan).isNaN)
    }

    func testArgmaxTakesTheFirstMaximum() {
        // 1 image, 3 classes, 4 pixels: ties between classes resolve to the lower index.
        let logits: [Float] = [
            1, 5, 2, 0,   // class 0
            3, 5, 2, -1,  // class 1
            3, 1, 7, -1,  // class 2
        ]
        var predictions = [Int32](repeating: -1, count: 4)
        logits.withUnsafeBufferPointer { l in
            predictions.withUnsafeMutableBufferPointer {
                argmaxChannels(predictions: $0.baseAddress!, logits: l.baseAddress!, batch: 1, channels: 3, height: 2, width: 2)
            }
        }
        XCTAssertEqual(predictions, [1, 0, 2, 0])
    }
}
