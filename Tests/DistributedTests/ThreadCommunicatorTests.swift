import XCTest
@testable import Distributed
import CollectiveChecks

/// The thread world: N ranks as N threads with MPI's collective semantics (the same self-check
/// suite that `mtaf-mpi selfcheck` runs under mpirun), failures that reach every rank, and
/// reductions in rank order.
final class ThreadCommunicatorTests: XCTestCase {
    func testSelfCheckPassesOnOneToFourRanks() throws {
        for size in 1 ... 4 {
            let outcomes = ThreadWorld.run(size: size) { cluster -> [String] in
                var check = CollectiveSelfCheck(world: cluster.world)
                check.largeCount = 100_000
                return try check.run().filter { !$0.passed }.map { "\($0.name): \($0.failures)" }
            }
            for (rank, outcome) in outcomes.enumerated() {
                guard let failed = outcome.value else { return XCTFail("size \(size) rank \(rank): \(outcome)") }
                XCTAssertEqual(failed, [], "size \(size) rank \(rank)")
            }
        }
    }

    func testReductionsFoldInRankOrder() {
        // In Float, (1e8 + 1) − 1e8 is 0 while 1e8 − 1e8 + 1 is 1: the order shows.
        let contributions: [Float] = [1e8, 1, -1e8]
        let outcomes = ThreadWorld.run(size: 3) { cluster -> [Float] in
            var values = [contributions[cluster.rank]]
            try cluster.world.allreduce(&values, op: .sum)
            return values
        }
        XCTAssertEqual(outcomes.map(\.value), [[0], [0], [0]])
    }

    /// Rank 0 starts an allreduce on the world and gathers on a second communicator before it
    /// waits; rank 1 gathers first and starts later. Under MPI that is legal, and here too.
    func testAStartedAllreduceStaysOpenWhileOtherCollectivesRun() {
        let outcomes = ThreadWorld.run(size: 2) { cluster -> [Float] in
            let other = try cluster.world.split(color: 0, key: cluster.rank)!
            var values: [Float] = [Float(cluster.rank + 1)]
            return try values.withUnsafeMutableBufferPointer { buffer in
                if cluster.rank == 0 {
                    let pending = try cluster.world.startAllreduce(buffer, op: .sum)
                    _ = try other.allgather(Int64(cluster.rank))
                    try pending.wait()
                } else {
                    _ = try other.allgather(Int64(cluster.rank))
                    let pending = try cluster.world.startAllreduce(buffer, op: .sum)
                    while try !pending.test() {}
                }
                return Array(buffer)
            }
        }
        XCTAssertEqual(outcomes.map(\.value), [[3], [3]])
    }

    func testAFailingRankEndsEveryRanksWait() {
        struct Broken: Error {}
        let outcomes = ThreadWorld.run(size: 3) { cluster -> Int in
            if cluster.rank == 1 { throw Broken() }
            var values: [Int64] = [1]
            try cluster.world.allreduce(&values, op: .sum)
            return Int(values[0])
        }
        guard case .threw(let error) = outcomes[1] else { return XCTFail("rank 1: \(outcomes[1])") }
        XCTAssertTrue(error is Broken)
        for rank in [0, 2] {
            guard case .threw(let error) = outcomes[rank], case let .aborted(call, errorRank, details) = error as? MPIError else {
                return XCTFail("rank \(rank): \(outcomes[rank])")
            }
            XCTAssertEqual(call, "MPI_Allreduce")
            XCTAssertEqual(errorRank, rank)
            XCTAssertTrue(details.contains("rank 1 failed"), details)
        }
    }

    func testAbortEndsTheRankAndTellsTheOthers() {
        let outcomes = ThreadWorld.run(size: 2) { cluster -> Int in
            if cluster.rank == 0 { cluster.abort(code: 1, message: "mtaf-mpi train: disk full") }
            try cluster.world.barrier()
            return 0
        }
        guard case .aborted(let message) = outcomes[0] else { return XCTFail("rank 0: \(outcomes[0])") }
        XCTAssertEqual(message, "mtaf-mpi train: disk full")
        guard case .threw(let error) = outcomes[1], case let .aborted(call, _, details) = error as? MPIError else {
            return XCTFail("rank 1: \(outcomes[1])")
        }
        XCTAssertEqual(call, "MPI_Barrier")
        XCTAssertTrue(details.contains("disk full"), details)
    }

    func testAMissingRankTimesOutByName() {
        let outcomes = ThreadWorld.run(size: 3, timeoutSeconds: 0.3) { cluster -> Int in
            guard cluster.rank != 2 else { return -1 }  // never arrives
            var values: [Double] = [1]
            try cluster.world.allreduce(&values, op: .max)
            return 0
        }
        XCTAssertEqual(outcomes[2].value, -1)
        for rank in [0, 1] {
            guard case .threw(let error) = outcomes[rank], case let .aborted(_, _, details) = error as? MPIError else {
                return XCTFail("rank \(rank): \(outcomes[rank])")
            }
            XCTAssertTrue(details.contains("for rank(s) 2"), details)
        }
    }

    func testRanksThatRunDifferentBuildsAreRefused() {
        let outcomes = ThreadWorld.run(size: 3) { cluster -> Bool in
            let identity = RunIdentity([("version", "1"), ("command", cluster.rank == 2 ? "test" : "train")])
            do {
                try cluster.requireSameRun(identity)
                return true
            } catch let disagreement as RunDisagreement {
                XCTAssertTrue(disagreement.description.contains("rank 2"), disagreement.description)
                return false
            }
        }
        XCTAssertEqual(outcomes.map(\.value), [false, false, false])
    }
}
