// GradientBuckets' plan: buckets tile the flat gradient buffer exactly, respect the cap, put the
// overlapped parameters first in reverse registration order, and start in order as the final
// backward writes their gradients (architecture §3.6).

import Distributed
import XCTest
@testable import MTAFNet

final class GradientBucketsTests: XCTestCase {
    /// 10 parameters of 100…1000 scalars (each view padded to 16).
    private func store() -> ParameterStore {
        let store = ParameterStore()
        for p in 0..<10 { store.register(name: "p\(p)", shape: [100 * (p + 1)]) }
        return store
    }

    func testPlanTilesTheBufferWithinTheCap() {
        let store = store()
        let cap = 0.008  // MB: 2097 scalars
        let buckets = GradientBuckets(store: store, communicator: LocalCommunicator(), bucketMB: cap)
        var overlapped = Array(repeating: true, count: 10)
        overlapped[3] = false
        overlapped[7] = false
        buckets.plan(overlapped: overlapped)
        var covered = Array(repeating: 0, count: store.scalarCount)
        for bucket in buckets.buckets {
            for i in bucket.scalars { covered[i] += 1 }
            XCTAssertTrue(bucket.scalars.count <= 2097 || bucket.parameters.count == 1, "\(bucket)")
            XCTAssertTrue(bucket.parameters.allSatisfy { overlapped[$0] == bucket.overlapped }, "\(bucket)")
            XCTAssertEqual(bucket.scalars.lowerBound, store.entries[bucket.parameters.lowerBound].offset)
        }
        XCTAssertEqual(covered, Array(repeating: 1, count: store.scalarCount))
        let firstLate = buckets.buckets.firstIndex { !$0.overlapped }!
        XCTAssertTrue(buckets.buckets[..<firstLate].allSatisfy(\.overlapped))
        XCTAssertTrue(buckets.buckets[firstLate...].allSatisfy { !$0.overlapped })
        // Reverse registration order within each kind.
        let starts = buckets.buckets[..<firstLate].map(\.parameters.lowerBound)
        XCTAssertEqual(starts, starts.sorted(by: >))
        XCTAssertEqual(buckets.overlapped, overlapped)
    }

    /// Buckets start as the final backward writes their last gradient, in order, and the next
    /// iteration overlaps what the final backward wrote.
    func testBucketsStartDuringTheFinalBackward() throws {
        let store = store()
        let buckets = GradientBuckets(store: store, communicator: LocalCommunicator(), bucketMB: 0.004)
        buckets.plan(overlapped: Array(repeating: true, count: 10))
        buckets.beginFinalBackward()
        // The backward writes the last parameters first; p0 is left unwritten.
        for p in (1..<10).reversed() {
            store.withGradient(ParameterID(index: p)) { $0[0] += 1 }
        }
        try buckets.endFinalBackward()
        XCTAssertEqual(try buckets.finish(), buckets.buckets.count - 1, "every bucket but p0's started early")
        XCTAssertEqual(buckets.writtenInFinalBackward, [false] + Array(repeating: true, count: 9))
        XCTAssertNil(store.gradientsWritten)
    }
}
