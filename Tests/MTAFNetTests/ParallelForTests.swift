// The parallel loop and its worker pool (Runtime/ParallelFor, Runtime/ParallelWorkers): every
// chunk runs exactly once, sums are added in chunk order, and the pool copes with nested and
// concurrent callers.

import Dispatch
import XCTest
@testable import MTAFNet

final class ParallelForTests: XCTestCase {
    private var savedThreads = 1

    override func setUp() {
        super.setUp()
        savedThreads = blasThreads
        setBLASThreads(7)
    }

    override func tearDown() {
        setBLASThreads(savedThreads)
        super.tearDown()
    }

    /// Marks of every chunk of a parallel loop (each chunk must be marked once).
    private func visits(chunks: Int, _ loop: (UnsafeMutablePointer<Int>) -> Void) -> [Int] {
        var marks = [Int](repeating: 0, count: chunks)
        marks.withUnsafeMutableBufferPointer { loop($0.baseAddress!) }
        return marks
    }

    func testEveryChunkRunsOnce() {
        let marks = visits(chunks: 1000) { m in
            nonisolated(unsafe) let m = m
            parallelFor(chunks: 1000, work: 1 << 20) { run in for i in run { m[i] += 1 } }
        }
        XCTAssertEqual(marks, [Int](repeating: 1, count: 1000))
    }

    func testEveryThreadIndexRunsOnce() {
        let marks = visits(chunks: 7) { m in
            nonisolated(unsafe) let m = m
            ParallelWorkers.shared.run(7) { m[$0] += 1 }
        }
        XCTAssertEqual(marks, [Int](repeating: 1, count: 7))
    }

    /// The partial sums are added in chunk order: 1e16 + 1 − 1e16 is 0 in Double, as the
    /// serial order gives, on any thread count.
    func testSumAddsInChunkOrder() {
        let values: [Double] = [1e16, 1, -1e16, 1]
        for threads in [1, 2, 7] {
            setBLASThreads(threads)
            let total = parallelSum(chunks: 4, work: 1 << 20) { run, partials in
                for i in run { partials[i] = values[i] }
            }
            XCTAssertEqual(total, ((1e16 + 1) - 1e16) + 1, "\(threads) threads")
            XCTAssertEqual(total, 1)
        }
    }

    /// A loop inside a loop's chunk, and loops from two threads at once, run every chunk once.
    func testNestedAndConcurrentCallers() {
        let marks = visits(chunks: 64 * 64) { m in
            nonisolated(unsafe) let m = m
            parallelFor(chunks: 64, work: 1 << 20) { outer in
                for i in outer {
                    parallelFor(chunks: 64, work: 1 << 20) { inner in for j in inner { m[i * 64 + j] += 1 } }
                }
            }
        }
        XCTAssertEqual(marks, [Int](repeating: 1, count: 64 * 64))
        let concurrent = visits(chunks: 8 * 500) { m in
            nonisolated(unsafe) let m = m
            DispatchQueue.concurrentPerform(iterations: 8) { caller in
                parallelFor(chunks: 500, work: 1 << 20) { run in for i in run { m[caller * 500 + i] += 1 } }
            }
        }
        XCTAssertEqual(concurrent, [Int](repeating: 1, count: 8 * 500))
    }
}
