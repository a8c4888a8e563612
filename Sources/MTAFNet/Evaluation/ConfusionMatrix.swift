// Confusion matrix, per-class IoU and mIoU (spec §4.11, §8). C = number of classes.
// Rows are ground truth, columns predictions; counts are Int64 so that they can be summed over
// ranks with one allreduce (architecture §3.9: rank zero drives evaluation).

/// A C×C count matrix with rows = ground truth and columns = prediction.
public struct ConfusionMatrix: Equatable, Sendable {
    /// Number of classes C.
    public let classCount: Int
    /// Row-major C×C counts.
    public private(set) var counts: [Int64]

    public init(classCount: Int) {
        precondition(classCount > 0, "ConfusionMatrix needs at least one class")
        self.classCount = classCount
        counts = [Int64](repeating: 0, count: classCount * classCount)
    }

    /// Builds a matrix from row-major counts (for example after an allreduce).
    public init(classCount: Int, counts: [Int64]) {
        precondition(counts.count == classCount * classCount, "ConfusionMatrix: \(counts.count) counts for \(classCount) classes")
        self.classCount = classCount
        self.counts = counts
    }

    /// The count of pixels of ground truth `truth` predicted as `prediction`.
    public subscript(truth: Int, prediction: Int) -> Int64 {
        counts[truth * classCount + prediction]
    }

    /// Adds a labelled prediction: pixels with 0 ≤ label < C are counted, others (255) skipped.
    /// Spec §4.11 (upstream `fast_hist`).
    ///
    /// - Parameters:
    ///   - labels: P ground-truth labels.
    ///   - predictions: P predicted classes in 0..<C.
    public mutating func add(labels: UnsafeBufferPointer<Int32>, predictions: UnsafeBufferPointer<Int32>) {
        precondition(labels.count == predictions.count, "ConfusionMatrix.add: \(labels.count) labels, \(predictions.count) predictions")
        let c = classCount
        counts.withUnsafeMutableBufferPointer { matrix in
            for index in 0 ..< labels.count {
                let truth = Int(labels[index])
                guard truth >= 0, truth < c else { continue }
                let predicted = Int(predictions[index])
                precondition(predicted >= 0 && predicted < c, "prediction \(predicted) outside 0..<\(c)")
                matrix[truth * c + predicted] += 1
            }
        }
    }

    /// Adds another matrix's counts.
    public mutating func add(_ other: ConfusionMatrix) {
        precondition(other.classCount == classCount, "ConfusionMatrix.add: \(other.classCount) vs \(classCount) classes")
        for index in counts.indices { counts[index] += other.counts[index] }
    }

    /// IoU_c = hist[c,c] / (row_c + col_c − hist[c,c]); NaN when class c is absent from both the
    /// ground truth and the predictions. Spec §4.11 (upstream `per_class_iu`).
    public var perClassIoU: [Double] {
        (0 ..< classCount).map { c in
            let diagonal = Double(self[c, c])
            let row = (0 ..< classCount).reduce(0.0) { $0 + Double(self[c, $1]) }
            let column = (0 ..< classCount).reduce(0.0) { $0 + Double(self[$1, c]) }
            return diagonal / (row + column - diagonal)
        }
    }

    /// NaN-ignoring mean of the per-class IoUs, ×100, rounded to 2 decimals (spec §4.11); NaN if
    /// every class is absent.
    public var meanIoUPercent: Double {
        Self.roundedPercent(nanMean(perClassIoU))
    }

    /// x·100 rounded to 2 decimals, the way upstream prints IoUs (`round(x * 100, 2)`).
    public static func roundedPercent(_ value: Double) -> Double {
        (value * 100 * 100).rounded(.toNearestOrEven) / 100
    }
}

/// Mean of the non-NaN values; NaN when there are none (numpy's `nanmean`).
public func nanMean(_ values: [Double]) -> Double {
    let kept = values.filter { !$0.isNaN }
    return kept.isEmpty ? .nan : kept.reduce(0, +) / Double(kept.count)
}
