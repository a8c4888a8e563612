// BatchLoader: yields batches of a dataset in a `SampleOrder`, decoding ahead on a background
// thread into a bounded queue (architecture §5.3). Sizes: B = batch size; images B×3×H×W, labels B×H'×W'.

import Dispatch
import Foundation
import Synchronization

/// A batch loader with deterministic order and resumable position (spec §7.7).
///
/// Batch k holds positions [p₀ + kB, p₀ + (k+1)B) of the order, where p₀ is the start position;
/// each batch reports `nextPosition`, so a run restarted with that position continues exactly.
/// With `prefetch` > 0 a background thread decodes up to `prefetch` batches ahead; the batches are
/// identical to a synchronous read. A finite (test) order ends with a possibly smaller last batch,
/// then `next()` returns nil.
public final class BatchLoader {
    /// The dataset read.
    public let dataset: any SegmentationDataset
    /// The order of list indices.
    public let order: SampleOrder
    /// Samples per batch (B).
    public let batchSize: Int
    /// The position after the last batch returned (the start position before the first).
    public private(set) var position: Int

    private let queue: PrefetchQueue?
    private var cursor: OrderCursor
    private var finished: Result<DataBatch?, any Error>?

    /// Creates a loader.
    ///
    /// - Parameters:
    ///   - dataset: The samples.
    ///   - order: Which list index comes at each position.
    ///   - batchSize: B, positive.
    ///   - startPosition: The first position (0, or a `nextPosition` saved by an earlier run).
    ///   - prefetch: Batches decoded ahead on a background thread (0: decode in `next()`).
    public init(dataset: any SegmentationDataset, order: SampleOrder, batchSize: Int,
                startPosition: Int = 0, prefetch: Int = 2) {
        precondition(batchSize > 0, "BatchLoader: batch size \(batchSize)")
        precondition(startPosition >= 0, "BatchLoader: start position \(startPosition)")
        precondition(order.share.allSatisfy { $0 < dataset.count },
                     "BatchLoader: the order names entries beyond the dataset's \(dataset.count)")
        self.dataset = dataset
        self.order = order
        self.batchSize = batchSize
        self.position = startPosition
        self.cursor = OrderCursor(order: order)
        if prefetch > 0 {
            let queue = PrefetchQueue(capacity: prefetch)
            self.queue = queue
            let producer = Thread { [dataset, order] in
                var cursor = OrderCursor(order: order)
                var position = startPosition
                while queue.waitForSlot() {
                    let result: Result<DataBatch?, any Error>
                    do {
                        result = .success(try BatchLoader.batch(of: dataset, cursor: &cursor,
                                                                 position: position, batchSize: batchSize))
                    } catch {
                        result = .failure(error)
                    }
                    queue.push(result)
                    guard case .success(let batch?) = result else { break }
                    position = batch.nextPosition
                }
            }
            producer.name = "mtaf-data-\(dataset.name)"
            producer.start()
        } else {
            self.queue = nil
        }
    }

    deinit {
        queue?.stop()
    }

    /// The next batch, or nil after the last batch of a finite order.
    ///
    /// - Throws: The `DataError` of a sample that could not be read; later calls throw it again.
    public func next() throws -> DataBatch? {
        if let finished { return try finished.get() }
        let result: Result<DataBatch?, any Error>
        if let queue {
            result = queue.pop()
        } else {
            result = Result { try BatchLoader.batch(of: dataset, cursor: &cursor, position: position, batchSize: batchSize) }
        }
        switch result {
        case .success(let batch?):
            position = batch.nextPosition
        default:
            finished = result
        }
        return try result.get()
    }

    /// Reads the batch at a position synchronously.
    ///
    /// - Parameters:
    ///   - dataset: The samples.
    ///   - order: The order.
    ///   - position: The batch's first position.
    ///   - batchSize: B.
    /// - Returns: The batch, or nil when a finite order has nothing left at `position`.
    public static func batch(of dataset: any SegmentationDataset, order: SampleOrder, position: Int,
                             batchSize: Int) throws -> DataBatch? {
        var cursor = OrderCursor(order: order)
        return try batch(of: dataset, cursor: &cursor, position: position, batchSize: batchSize)
    }

    /// Decodes the samples at positions [position, position + B) and stacks them.
    static func batch(of dataset: any SegmentationDataset, cursor: inout OrderCursor, position: Int,
                      batchSize: Int) throws -> DataBatch? {
        var end = position + batchSize
        if let length = cursor.order.length { end = min(end, length) }
        guard end > position else { return nil }
        var samples: [SegmentationSample] = []
        var indices: [Int] = []
        for p in position..<end {
            let index = cursor.listIndex(at: p)
            indices.append(index)
            samples.append(try dataset.sample(index))
        }
        let first = samples[0]
        let imageShape = first.image.shape
        let images = Tensor(shape: [samples.count] + imageShape)
        let imageCount = first.image.count
        var labels: [Int32]? = first.label.map { _ in [] }
        labels?.reserveCapacity(samples.count * (first.label?.values.count ?? 0))
        for (i, sample) in samples.enumerated() {
            guard sample.image.shape == imageShape, sample.label?.size == first.label?.size else {
                throw DataError.mixedSizes(first: first.name, other: sample.name)
            }
            images.withUnsafeMutableBufferPointer { out in
                sample.image.withUnsafeBufferPointer { source in
                    (out.baseAddress! + i * imageCount).update(from: source.baseAddress!, count: imageCount)
                }
            }
            if let label = sample.label { labels?.append(contentsOf: label.values) }
        }
        return DataBatch(images: images, labels: labels, labelSize: first.label?.size,
                         names: samples.map(\.name), indices: indices, nextPosition: end)
    }
}
