// LoaderTests: deterministic order per (seed, rank, epoch), disjoint rank shares, resuming from a
// position, and background decoding identical to a synchronous read.

import XCTest
@testable import MTAFNet

/// An in-memory dataset: sample i has image values i (3×2×3) and label values i (2×2); it throws
/// at `failing`.
private struct CountingDataset: SegmentationDataset {
    let count: Int
    var failing: Int? = nil
    var name: String { "counting" }

    func sample(_ index: Int) throws -> SegmentationSample {
        if index == failing { throw DataError.png(file: "sample\(index).png", problem: .corrupt, detail: "test") }
        let image = Tensor(shape: [3, 2, 3], values: [Float](repeating: Float(index), count: 18))
        return SegmentationSample(image: image, label: LabelImage(width: 2, height: 2, filledWith: Int32(index)),
                                  name: "item\(index)")
    }
}

final class LoaderTests: XCTestCase {
    private func drain(_ loader: BatchLoader, batches: Int) throws -> [DataBatch] {
        try (0..<batches).map { _ in try XCTUnwrap(try loader.next()) }
    }

    func testOrderIsDeterministicPerSeedRankAndEpoch() {
        let a = SampleOrder.training(listCount: 10, batchSize: 2, maxIterations: 12, seed: 7)
        let b = SampleOrder.training(listCount: 10, batchSize: 2, maxIterations: 12, seed: 7)
        XCTAssertEqual(a.epochLength, 30)       // 10 entries repeated ⌈24 / 10⌉ = 3 times
        XCTAssertEqual(a.epochIndices(0), b.epochIndices(0))
        XCTAssertEqual(a.epochIndices(1), b.epochIndices(1))
        XCTAssertNotEqual(a.epochIndices(0), a.epochIndices(1))
        let other = SampleOrder.training(listCount: 10, batchSize: 2, maxIterations: 12, seed: 8)
        XCTAssertNotEqual(a.epochIndices(0), other.epochIndices(0))
        // Each epoch is a permutation of the replicated list.
        XCTAssertEqual(a.epochIndices(0).sorted(), (0..<10).flatMap { [$0, $0, $0] })
        XCTAssertNotEqual(a.epochIndices(0), (0..<30).map { $0 % 10 })
    }

    func testRankSharesAreDisjoint() {
        let orders = (0..<3).map { SampleOrder.training(listCount: 11, batchSize: 1, maxIterations: 5, seed: 1, rank: $0, groupSize: 3) }
        XCTAssertEqual(orders.map(\.share), [[0, 3, 6, 9], [1, 4, 7, 10], [2, 5, 8]])
        for (r, order) in orders.enumerated() {
            XCTAssertTrue(Set(order.epochIndices(0)).isSubset(of: Set(order.share)), "rank \(r)")
        }
        let test = SampleOrder.fileOrder(listCount: 5, rank: 1, groupSize: 2)
        XCTAssertEqual(test.epochIndices(0), [1, 3])
    }

    func testFileOrderBatchOneEndsAfterTheList() throws {
        let loader = BatchLoader(dataset: CountingDataset(count: 4), order: .fileOrder(listCount: 4), batchSize: 1)
        var names: [String] = []
        while let batch = try loader.next() { names += batch.names }
        XCTAssertEqual(names, ["item0", "item1", "item2", "item3"])
        XCTAssertNil(try loader.next())
        let pairs = BatchLoader(dataset: CountingDataset(count: 5), order: .fileOrder(listCount: 5), batchSize: 2, prefetch: 0)
        var sizes: [Int] = []
        while let batch = try pairs.next() { sizes.append(batch.count) }
        XCTAssertEqual(sizes, [2, 2, 1])
    }

    func testResumeEqualsUninterruptedSequence() throws {
        let dataset = CountingDataset(count: 7)
        let order = SampleOrder.training(listCount: 7, batchSize: 3, maxIterations: 3, seed: 42)
        XCTAssertEqual(order.epochLength, 14)
        let uninterrupted = try drain(BatchLoader(dataset: dataset, order: order, batchSize: 3), batches: 12)
        let first = BatchLoader(dataset: dataset, order: order, batchSize: 3)
        let head = try drain(first, batches: 5)
        XCTAssertEqual(first.position, 15)
        let resumed = BatchLoader(dataset: dataset, order: order, batchSize: 3, startPosition: head.last!.nextPosition)
        let tail = try drain(resumed, batches: 7)
        XCTAssertEqual((head + tail).map(\.indices), uninterrupted.map(\.indices))
        // Batches cross epoch boundaries (14 samples per epoch) and keep cycling.
        XCTAssertEqual(uninterrupted.flatMap(\.indices).count, 36)
    }

    func testBackgroundThreadMatchesSynchronousRead() throws {
        let dataset = CountingDataset(count: 9)
        let order = SampleOrder.training(listCount: 9, batchSize: 4, maxIterations: 5, seed: 3)
        let background = try drain(BatchLoader(dataset: dataset, order: order, batchSize: 4, prefetch: 3), batches: 8)
        var position = 0
        for batch in background {
            let sync = try XCTUnwrap(try BatchLoader.batch(of: dataset, order: order, position: position, batchSize: 4))
            XCTAssertEqual(batch.indices, sync.indices)
            XCTAssertEqual(batch.names, sync.names)
            XCTAssertEqual(batch.labels, sync.labels)
            XCTAssertEqual(batch.images.shape, [4, 3, 2, 3])
            XCTAssertEqual(batch.images.withUnsafeBufferPointer { Array($0) }, sync.images.withUnsafeBufferPointer { Array($0) })
            XCTAssertEqual(batch.images.withUnsafeBufferPointer { $0[18] }, Float(batch.indices[1]))
            position = batch.nextPosition
        }
    }

    func testErrorsReachTheConsumer() throws {
        let dataset = CountingDataset(count: 4, failing: 2)
        for prefetch in [0, 2] {
            let loader = BatchLoader(dataset: dataset, order: .fileOrder(listCount: 4), batchSize: 1, prefetch: prefetch)
            XCTAssertEqual(try loader.next()?.names, ["item0"])
            XCTAssertEqual(try loader.next()?.names, ["item1"])
            XCTAssertThrowsError(try loader.next()) { XCTAssertTrue("\($0)".contains("sample2.png")) }
            XCTAssertThrowsError(try loader.next())
        }
    }

    func testDroppingALoaderStopsItsThread() throws {
        for _ in 0..<20 {
            let loader = BatchLoader(dataset: CountingDataset(count: 5),
                                     order: .training(listCount: 5, batchSize: 1, maxIterations: 100, seed: 1), batchSize: 1)
            _ = try loader.next()
        }
    }
}
