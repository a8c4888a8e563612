import XCTest
@testable import MTAFNet

/// `Tensor`: storage, views, alignment, copies.
final class TensorTests: XCTestCase {
    func testZerosAndValues() {
        let zeros = Tensor(shape: [2, 3, 4])
        XCTAssertEqual(zeros.count, 24)
        XCTAssertEqual(zeros.rank, 3)
        XCTAssertEqual(zeros.scalars, [Float](repeating: 0, count: 24))
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(t[1, 0], 4)
        XCTAssertEqual(Tensor(shape: [3], repeating: 2.5).scalars, [2.5, 2.5, 2.5])
        XCTAssertEqual(Tensor(shape: []).count, 1)
        XCTAssertEqual(Tensor(shape: [0, 5]).count, 0)
    }

    /// A large fresh tensor (zeroed on several threads, in 1 MiB chunks) is zero everywhere, also
    /// where the allocator hands back the memory of a tensor just freed, and at the odd tail.
    func testLargeFreshTensorsAreZero() {
        let saved = blasThreads
        defer { setBLASThreads(saved) }
        for threads in [1, 2, 3] {
            setBLASThreads(threads)
            let shape = [3, (1 << 20) + 5]
            do { _ = Tensor(shape: shape, repeating: 7) }
            let fresh = Tensor(shape: shape)
            XCTAssertTrue(fresh.scalars.allSatisfy { $0 == 0 }, "\(threads) threads")
        }
    }

    func testStorageIs64ByteAligned() {
        for count in [0, 1, 3, 17, 1000, 4097] {
            let t = Tensor(shape: [count])
            t.withUnsafeBufferPointer { buffer in
                let address = UInt(bitPattern: buffer.baseAddress)
                XCTAssertEqual(address % 64, 0, "count \(count)")
            }
        }
    }

    func testReshapedViewSharesStorage() {
        let t = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let view = t.reshaped([3, 2])
        XCTAssertTrue(view.sharesStorage(with: t))
        XCTAssertEqual(view.shape, [3, 2])
        view[2, 1] = 60
        XCTAssertEqual(t[1, 2], 60)
        t.withUnsafeMutableBufferPointer { $0[0] = 10 }
        XCTAssertEqual(view[0, 0], 10)
        t.zero()
        XCTAssertEqual(view.scalars, [Float](repeating: 0, count: 6))
    }

    func testViewOutlivesOriginal() {
        var view: Tensor?
        do {
            let t = Tensor(shape: [4], values: [1, 2, 3, 4])
            view = t.reshaped([2, 2])
        }
        XCTAssertEqual(view?.scalars, [1, 2, 3, 4])
    }

    func testCopyIsIndependent() {
        let t = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let c = t.copy()
        XCTAssertFalse(c.sharesStorage(with: t))
        c[0, 0] = 9
        XCTAssertEqual(t[0, 0], 1)
        XCTAssertEqual(c.shape, t.shape)
        let target = Tensor(shape: [4])
        target.assign(from: t)
        XCTAssertEqual(target.scalars, [1, 2, 3, 4])
    }

    func testFlatAndMultiIndex() {
        let t = Tensor(shape: [2, 3, 4, 5])
        XCTAssertEqual(t.flatIndex([1, 2, 3, 4]), 119)
        XCTAssertEqual(t.multiIndex(119), [1, 2, 3, 4])
        XCTAssertEqual(t.multiIndex(t.flatIndex([1, 0, 2, 3])), [1, 0, 2, 3])
    }
}
