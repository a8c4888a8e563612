import XCTest
@testable import Distributed

/// A world of one: collectives are identities or copies, and bad arguments are still refused.
final class LocalCommunicatorTests: XCTestCase {
    let world = LocalCommunicator()

    func testCollectivesAreIdentities() throws {
        var values: [Float] = [1, -2, 3.5]
        try world.allreduce(&values, op: .sum)
        XCTAssertEqual(values, [1, -2, 3.5])
        try world.broadcast(&values, root: 0)
        XCTAssertEqual(values, [1, -2, 3.5])
        XCTAssertEqual(try world.allgather(Int64(7)), [7])
        XCTAssertEqual(try world.allgatherv([UInt8(1), 2, 3]), [[1, 2, 3]])
        XCTAssertEqual(try world.broadcast("hello", root: 0), "hello")
        try values.withUnsafeMutableBufferPointer { try world.startAllreduce($0, op: .max).wait() }
        XCTAssertEqual(values, [1, -2, 3.5])
    }

    func testOutOfPlaceCopies() throws {
        let send: [Double] = [4, 5, 6]
        var recv = [Double](repeating: 0, count: 3)
        try send.withUnsafeBufferPointer { s in try recv.withUnsafeMutableBufferPointer { try world.allreduce(s, into: $0, op: .min) } }
        XCTAssertEqual(recv, send)
        var exchanged = [Double](repeating: 0, count: 2)
        try send.withUnsafeBufferPointer { s in
            try exchanged.withUnsafeMutableBufferPointer { try world.alltoallv(s, sendCounts: [2], into: $0, recvCounts: [2]) }
        }
        XCTAssertEqual(exchanged, [4, 5])
    }

    func testBadArgumentsAreErrors() throws {
        var values: [Int32] = [1]
        XCTAssertThrowsError(try world.broadcast(&values, root: 1)) { error in
            guard case .invalidArgument(call: "broadcast", rank: 0, _) = error as? MPIError else {
                return XCTFail("wrong error \(error)")
            }
        }
        let send: [Int32] = [1, 2]
        var recv: [Int32] = [0]
        XCTAssertThrowsError(try send.withUnsafeBufferPointer { s in
            try recv.withUnsafeMutableBufferPointer { try world.allgather(s, into: $0) }
        })
        XCTAssertNil(try world.split(color: nil, key: 0))
        XCTAssertNotNil(try world.split(color: 3, key: 0))
    }

    func testReduceOpsCombine() {
        XCTAssertEqual(ReduceOp.sum.combine(Float(2), 3), 5)
        XCTAssertEqual(ReduceOp.max.combine(Int64(2), 3), 3)
        XCTAssertEqual(ReduceOp.min.combine(UInt8(2), 3), 2)
    }

    func testMPIErrorsNameCallAndRank() {
        let error = MPIError.call(name: "MPI_Allreduce", rank: 3, code: 15, message: "MPI_ERR_TRUNCATE: message truncated")
        XCTAssertEqual(error.description, "MPI_Allreduce failed on rank 3 (MPI error 15): MPI_ERR_TRUNCATE: message truncated")
        XCTAssertTrue(MPIError.mismatch(call: "MPI_Bcast", rank: 1, details: "rank 0: …").description.contains("rank 1"))
    }

    func testLocalClusterIsAWorldOfOne() {
        let cluster = LocalCluster()
        XCTAssertEqual(cluster.rank, 0)
        XCTAssertEqual(cluster.size, 1)
        XCTAssertTrue(cluster.isRoot)
    }
}
