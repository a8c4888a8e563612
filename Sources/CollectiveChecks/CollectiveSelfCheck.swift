import Distributed

/// A suite of collective checks that every rank runs in the same order. Each check compares what
/// the collectives delivered with values this rank computes on its own; a check passes when it
/// passed on every rank. Used by `mtaf-mpi selfcheck` under mpirun (CI runs it at 1–4 ranks) and
/// by the XCTest suites on thread worlds of 1–4 ranks (`ThreadCommunicator`). The chunked paths
/// are the MPI communicator's own and are checked only there.
public struct CollectiveSelfCheck {
    public struct Outcome: Sendable {
        public let name: String
        /// Ranks on which the check failed, with their messages.
        public let failures: [(rank: Int, message: String)]
        public var passed: Bool { failures.isEmpty }
    }

    let world: any Collectives
    /// Elements of the large allreduce (300 MB of Float by default).
    public var largeCount = 75_000_000

    public init(world: any Collectives) {
        self.world = world
    }

    /// Runs every check; returns one outcome per check (identical on every rank).
    public func run(log: (String) -> Void = { _ in }) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        for (name, check) in checks {
            let message: String?
            do {
                try check()
                message = nil
            } catch let failure as CheckFailure {
                message = failure.message
            } catch {
                message = "unexpected error: \(error)"
            }
            // Agree on the outcome: every rank learns which ranks failed and why.
            let flags = try world.allgather(Int32(message == nil ? 0 : 1))
            let texts = try world.allgatherv(Array((message ?? "").utf8))
            let failures = flags.enumerated().filter { $0.element != 0 }.map {
                (rank: $0.offset, message: String(decoding: texts[$0.offset], as: UTF8.self))
            }
            let outcome = Outcome(name: name, failures: failures)
            log("\(outcome.passed ? "OK  " : "FAIL") \(name)"
                + failures.map { "\n       rank \($0.rank): \($0.message)" }.joined())
            outcomes.append(outcome)
        }
        return outcomes
    }

    struct CheckFailure: Error { let message: String }

    private func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw CheckFailure(message: message()) }
    }

    /// Expects `body` to throw an error matching `matches`.
    private func expectError(_ what: String, _ matches: (MPIError) -> Bool, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as MPIError {
            try expect(matches(error), "\(what): wrong error: \(error)")
            return
        }
        throw CheckFailure(message: "\(what): no error was raised")
    }

    private var rank: Int { world.rank }
    private var size: Int { world.size }

    /// A value that rank r contributes at index i, exact in every element type.
    private static func value<T: MPIScalar>(_: T.Type, rank r: Int, index i: Int) -> T {
        T(exactly: (r + 1) * (i % 5 + 1) % 97)!
    }

    private var checks: [(String, () throws -> Void)] {
        let all: [(String, () throws -> Void)] = [
            ("world: ranks and size agree", checkWorld),
            ("broadcast from every root (5 types)", { try forEachType(checkBroadcast) }),
            ("allreduce sum/max/min in place (5 types)", { try forEachType(checkAllreduceInPlace) }),
            ("allreduce out of place (5 types)", { try forEachType(checkAllreduceOutOfPlace) }),
            ("reduce to every root", checkReduce),
            ("allgather", checkAllgather),
            ("allgatherv with uneven and zero-length counts", checkAllgatherv),
            ("alltoallv with uneven and zero-length counts", checkAlltoallv),
            ("nonblocking allreduce", checkNonblocking),
            (Self.chunkedName, checkChunked),
            ("large allreduce (\(largeCount * 4 / 1_000_000) MB of Float)", checkLarge),
            ("sub-communicators from split", checkSplit),
            ("target layouts for T = 1...4 build their groups", checkTargetGroups),
            ("checked mode: mismatched counts raise on every rank", checkMismatch),
            ("errors: MPI's own error comes back as MPIError", checkErrors),
            ("string broadcast", checkString),
        ]
        return world is Communicator ? all : all.filter { $0.0 != Self.chunkedName }
    }

    private static let chunkedName = "chunked paths (limit lowered to 1000 elements)"

    private func forEachType(_ body: (any MPIScalar.Type) throws -> Void) throws {
        for type: any MPIScalar.Type in [Float.self, Double.self, Int32.self, Int64.self, UInt8.self] {
            try body(type)
        }
    }

    private func checkWorld() throws {
        let ranks = try world.allgather(Int64(rank))
        try expect(ranks == (0 ..< size).map { Int64($0) }, "allgather of ranks gave \(ranks)")
        let sizes = try world.allgather(Int64(size))
        try expect(Set(sizes) == [Int64(size)], "ranks disagree on the size: \(sizes)")
        try world.barrier()
    }

    private func checkBroadcast(_ type: any MPIScalar.Type) throws {
        func run<T: MPIScalar>(_: T.Type) throws {
            for root in 0 ..< size {
                var values = (0 ..< 1000).map { rank == root ? Self.value(T.self, rank: root, index: $0) : T.zero }
                try world.broadcast(&values, root: root)
                let expected = (0 ..< 1000).map { Self.value(T.self, rank: root, index: $0) }
                try expect(values == expected, "\(T.self) broadcast from root \(root) differs")
            }
        }
        try run(type)
    }

    private func expectedReduction<T: MPIScalar>(_: T.Type, op: ReduceOp, count: Int) -> [T] {
        (0 ..< count).map { i in
            (1 ..< size).reduce(Self.value(T.self, rank: 0, index: i)) { op.combine($0, Self.value(T.self, rank: $1, index: i)) }
        }
    }

    private func checkAllreduceInPlace(_ type: any MPIScalar.Type) throws {
        func run<T: MPIScalar>(_: T.Type) throws {
            for op in ReduceOp.allCases where !(T.self == UInt8.self && op == .sum && size > 2) {
                var values = (0 ..< 777).map { Self.value(T.self, rank: rank, index: $0) }
                try world.allreduce(&values, op: op)
                try expect(values == expectedReduction(T.self, op: op, count: 777), "\(T.self) \(op) differs")
            }
        }
        try run(type)
    }

    private func checkAllreduceOutOfPlace(_ type: any MPIScalar.Type) throws {
        func run<T: MPIScalar>(_: T.Type) throws {
            let send = (0 ..< 513).map { Self.value(T.self, rank: rank, index: $0) }
            var recv = [T](repeating: .zero, count: 513)
            let op: ReduceOp = T.self == UInt8.self ? .max : .sum
            try send.withUnsafeBufferPointer { s in
                try recv.withUnsafeMutableBufferPointer { try world.allreduce(s, into: $0, op: op) }
            }
            try expect(recv == expectedReduction(T.self, op: op, count: 513), "\(T.self) out-of-place \(op) differs")
            try expect(send == (0 ..< 513).map { Self.value(T.self, rank: rank, index: $0) }, "send buffer changed")
        }
        try run(type)
    }

    private func checkReduce() throws {
        for root in 0 ..< size {
            let send = (0 ..< 300).map { Self.value(Double.self, rank: rank, index: $0) }
            var recv = [Double](repeating: -1, count: 300)
            try send.withUnsafeBufferPointer { s in
                try recv.withUnsafeMutableBufferPointer { r in
                    try world.reduce(s, into: rank == root ? r : nil, op: .sum, root: root)
                }
            }
            if rank == root {
                try expect(recv == expectedReduction(Double.self, op: .sum, count: 300), "reduce to \(root) differs")
            } else {
                try expect(recv.allSatisfy { $0 == -1 }, "a non-root buffer was written")
            }
        }
    }

    private func checkAllgather() throws {
        let mine = (0 ..< 5).map { Int64(rank * 100 + $0) }
        let all = try world.allgather(mine)
        let expected = (0 ..< size).flatMap { r in (0 ..< 5).map { Int64(r * 100 + $0) } }
        try expect(all == expected, "allgather gave \(all.prefix(12))…")
    }

    private static func unevenCount(_ r: Int) -> Int { (r * 3) % 5 }

    private func checkAllgatherv() throws {
        let counts = (0 ..< size).map(Self.unevenCount)
        let mine = (0 ..< counts[rank]).map { Float(rank * 1000 + $0) }
        var recv = [Float](repeating: -1, count: counts.reduce(0, +))
        try mine.withUnsafeBufferPointer { s in
            try recv.withUnsafeMutableBufferPointer { try world.allgatherv(s, into: $0, counts: counts) }
        }
        let expected = (0 ..< size).flatMap { r in (0 ..< counts[r]).map { Float(r * 1000 + $0) } }
        try expect(recv == expected, "allgatherv with counts \(counts) gave \(recv)")
    }

    /// Elements rank `from` sends to rank `to` in the alltoallv check.
    private static func exchangeCount(from: Int, to: Int) -> Int { (from + 2 * to) % 4 }

    private func alltoallvRound(limit: Int? = nil, scale: Int = 1) throws {
        let sendCounts = (0 ..< size).map { Self.exchangeCount(from: rank, to: $0) * scale }
        let recvCounts = (0 ..< size).map { Self.exchangeCount(from: $0, to: rank) * scale }
        let send = (0 ..< size).flatMap { to in (0 ..< sendCounts[to]).map { Int32(rank * 1_000_000 + to * 10_000 + $0) } }
        var recv = [Int32](repeating: -1, count: recvCounts.reduce(0, +))
        try send.withUnsafeBufferPointer { s in
            try recv.withUnsafeMutableBufferPointer {
                try world.alltoallv(s, sendCounts: sendCounts, into: $0, recvCounts: recvCounts)
            }
        }
        let expected = (0 ..< size).flatMap { from in (0 ..< recvCounts[from]).map { Int32(from * 1_000_000 + rank * 10_000 + $0) } }
        try expect(recv == expected, "alltoallv (receive counts \(recvCounts)) delivered other values")
    }

    private func checkAlltoallv() throws {
        try alltoallvRound()
    }

    private func checkNonblocking() throws {
        var values = (0 ..< 4096).map { Self.value(Float.self, rank: rank, index: $0) }
        try values.withUnsafeMutableBufferPointer { buffer in
            let pending = try world.startAllreduce(buffer, op: .sum)
            try pending.wait()
        }
        try expect(values == expectedReduction(Float.self, op: .sum, count: 4096), "nonblocking allreduce differs")
    }

    private func checkChunked() throws {
        guard let world = world as? Communicator else { return }
        let saved = world.maxElementsPerCall
        world.maxElementsPerCall = 1000
        defer { world.maxElementsPerCall = saved }
        var values = (0 ..< 10_007).map { Self.value(Int64.self, rank: rank, index: $0) }
        try world.allreduce(&values, op: .sum)
        try expect(values == expectedReduction(Int64.self, op: .sum, count: 10_007), "chunked allreduce differs")
        var pendingValues = (0 ..< 2_501).map { Self.value(Float.self, rank: rank, index: $0) }
        try pendingValues.withUnsafeMutableBufferPointer { try world.startAllreduce($0, op: .max).wait() }
        try expect(pendingValues == expectedReduction(Float.self, op: .max, count: 2_501), "chunked nonblocking allreduce differs")
        var broadcastValues = (0 ..< 3_333).map { rank == size - 1 ? Double($0) : 0 }
        try world.broadcast(&broadcastValues, root: size - 1)
        try expect(broadcastValues == (0 ..< 3_333).map(Double.init), "chunked broadcast differs")
        let gathered = try world.allgather((0 ..< 1_500).map { Int32(rank * 2_000 + $0) })
        try expect(gathered == (0 ..< size).flatMap { r in (0 ..< 1_500).map { Int32(r * 2_000 + $0) } },
                   "allgather beyond the limit differs")
        let counts = (0 ..< size).map { 600 + 450 * $0 }
        let parts = try world.allgatherv((0 ..< counts[rank]).map { UInt8(truncatingIfNeeded: rank + $0) })
        try expect(parts == (0 ..< size).map { r in (0 ..< counts[r]).map { UInt8(truncatingIfNeeded: r + $0) } },
                   "allgatherv beyond the limit differs")
        try alltoallvRound(scale: 700)
    }

    private func checkLarge() throws {
        var values = [Float](repeating: Float(rank + 1), count: largeCount)
        try world.allreduce(&values, op: .sum)
        let expected = Float(size * (size + 1) / 2)
        let wrong = values.firstIndex { $0 != expected }
        try expect(wrong == nil, "element \(wrong ?? 0) is \(values[wrong ?? 0]), expected \(expected)")
    }

    private func checkSplit() throws {
        guard let half = try world.split(color: rank % 2, key: -rank) else {
            throw CheckFailure(message: "split with a color gave no communicator")
        }
        let members = (0 ..< size).filter { $0 % 2 == rank % 2 }
        try expect(half.size == members.count, "group size \(half.size), expected \(members.count)")
        // key = −rank orders the group by descending world rank.
        try expect(half.rank == members.reversed().firstIndex(of: rank), "group rank \(half.rank) is not by descending key")
        var sum = [Int64(rank)]
        try half.allreduce(&sum, op: .sum)
        try expect(sum[0] == Int64(members.reduce(0, +)), "group sum \(sum[0])")
        let lonely = try world.split(color: rank == 0 ? 0 : nil, key: 0)
        try expect((lonely != nil) == (rank == 0), "an undefined color must give no communicator")
    }

    private func checkTargetGroups() throws {
        for targets in 1 ... 4 {
            let layout = try TargetLayout(targets: targets, ranks: size)
            let groups = try TargetGroups(layout: layout, world: world)
            try expect(groups.hostedTargets == layout.targets(hostedBy: rank), "T=\(targets): hosted targets differ")
            for (target, communicator) in groups.communicators {
                var sum = [Int64(rank)]
                try communicator.allreduce(&sum, op: .sum)
                try expect(communicator.size == layout.groups[target].count && sum[0] == Int64(layout.groups[target].reduce(0, +)),
                           "T=\(targets) target \(target): group of \(communicator.size) summing \(sum[0])")
                try expect(layout.groups[target][communicator.rank] == rank, "group rank order differs")
            }
        }
    }

    private func checkMismatch() throws {
        // The MPI communicator checks on request; a thread world always does.
        let communicator = world as? Communicator
        let wasChecked = communicator?.checked ?? true
        communicator?.checked = true
        defer { communicator?.checked = wasChecked }
        guard size > 1 else {
            // One rank cannot disagree with itself; the check must stay silent.
            var values: [Float] = [1, 2, 3]
            try world.allreduce(&values, op: .sum)
            return
        }
        var values = [Float](repeating: 1, count: rank == 0 ? 3 : 4)
        try expectError("allreduce with counts 3 vs 4", {
            if case let .mismatch(call, _, details) = $0 { return call == "MPI_Allreduce" && details.contains("rank 0: MPI_Allreduce of 3 Float") && details.contains("of 4 Float") }
            return false
        }) { try world.allreduce(&values, op: .sum) }
        var types = [Double](repeating: 0, count: 2)
        var ints = [Int32](repeating: 0, count: 2)
        try expectError("broadcast of Double vs Int32", { if case .mismatch = $0 { return true } else { return false } }) {
            if rank == 0 { try world.broadcast(&types, root: 0) } else { try world.broadcast(&ints, root: 0) }
        }
        let counts = (0 ..< size).map { $0 == rank ? 2 : 1 }
        try expectError("allgatherv with disagreeing counts", { if case .mismatch = $0 { return true } else { return false } }) {
            let send = [Float](repeating: 0, count: 2)
            var recv = [Float](repeating: 0, count: counts.reduce(0, +))
            try send.withUnsafeBufferPointer { s in try recv.withUnsafeMutableBufferPointer { try world.allgatherv(s, into: $0, counts: counts) } }
        }
        try expectError("alltoallv whose sends do not match the receives", {
            if case let .mismatch(_, _, details) = $0 { return details.contains("sends 2 to rank") } else { return false }
        }) {
            let send = [Int64](repeating: 0, count: 2 * size)
            var recv = [Int64](repeating: 0, count: size)
            try send.withUnsafeBufferPointer { s in
                try recv.withUnsafeMutableBufferPointer {
                    try world.alltoallv(s, sendCounts: Array(repeating: 2, count: size), into: $0,
                                        recvCounts: Array(repeating: 1, count: size))
                }
            }
        }
        // The communicator still works after the refused calls.
        var after = [Int64(1)]
        try world.allreduce(&after, op: .sum)
        try expect(after[0] == Int64(size), "allreduce after the mismatches gave \(after[0])")
    }

    private func checkErrors() throws {
        // MPI's own error under MPI; the thread world refuses the color itself.
        try expectError("split with color −5", {
            switch $0 {
            case let .call(name, errorRank, _, message), let .invalidArgument(name, errorRank, message):
                return name == "MPI_Comm_split" && errorRank == rank && !message.isEmpty
            default:
                return false
            }
        }) { _ = try world.split(color: -5, key: 0) }
        var values: [Float] = [0]
        try expectError("broadcast from a root outside the world", {
            if case .invalidArgument(call: "MPI_Bcast", _, _) = $0 { return true } else { return false }
        }) { try world.broadcast(&values, root: size) }
    }

    private func checkString() throws {
        let text = try world.broadcast(rank == 0 ? "target layout ✓ agreed" : "", root: 0)
        try expect(text == "target layout ✓ agreed", "string broadcast gave \(text)")
    }
}
