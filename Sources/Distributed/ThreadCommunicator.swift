#if canImport(Glibc)
import Glibc
#endif

/// One rank of a `ThreadWorld`: MPI's collective semantics between threads, so that distributed
/// code runs under XCTest with N ranks in one process (architecture §3.11). Always checked: ranks
/// that disagree on a collective's call, element type, counts, operator or root all throw
/// `MPIError.mismatch` (with MPI's call names and the same details as `Communicator`'s checked
/// mode), and nobody is left waiting. Reductions combine the ranks' values in rank order,
/// ((r0 ∘ r1) ∘ r2) ∘ …, on every rank. A rank's k-th collective matches the others' k-th, so a
/// started allreduce may stay open while others run, as under MPI.
public final class ThreadCommunicator: Collectives, @unchecked Sendable {
    let group: ThreadGroup
    public let rank: Int
    /// Collectives this rank has started on the group (MPI matches them by this order).
    private var sequence = 0

    init(group: ThreadGroup, rank: Int) {
        self.group = group
        self.rank = rank
    }

    public var size: Int { group.size }

    public func barrier() throws {
        _ = try exchange(ThreadDeposit(call: "MPI_Barrier", kind: .uint8, counts: [], values: [UInt8]())) { _, _ in }
    }

    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        try checkRoot(root, "MPI_Bcast")
        let values: [T] = rank == root ? Array(buffer) : []
        let result = try collective("MPI_Bcast", T.self, count: buffer.count, root: root, values: values) { all in all[root] }
        copy(result, into: buffer)
    }

    public func allreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        let result = try reduced("MPI_Allreduce", Array(buffer), op: op, root: nil)
        copy(result, into: buffer)
    }

    public func allreduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                        op: ReduceOp) throws {
        try checkCapacity(recv.count, send.count, "MPI_Allreduce")
        copy(try reduced("MPI_Allreduce", Array(send), op: op, root: nil), into: recv)
    }

    public func reduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>?,
                                     op: ReduceOp, root: Int) throws {
        let rootBuffer = try checkReduce(send.count, into: recv, root: root, "MPI_Reduce")
        let result = try reduced("MPI_Reduce", Array(send), op: op, root: root)
        if let rootBuffer { copy(result, into: rootBuffer) }
    }

    public func allgather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>,
                                        into recv: UnsafeMutableBufferPointer<T>) throws {
        try checkCapacity(recv.count, send.count * size, "MPI_Allgather")
        let result = try collective("MPI_Allgather", T.self, count: send.count, values: Array(send)) { $0.flatMap { $0 } }
        copy(result, into: recv)
    }

    public func allgatherv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                         counts: [Int]) throws {
        guard counts.count == size, counts[rank] == send.count, counts.allSatisfy({ $0 >= 0 }) else {
            throw MPIError.invalidArgument(call: "MPI_Allgatherv", rank: rank,
                                           details: "counts \(counts) do not give this rank's \(send.count) elements")
        }
        try checkCapacity(recv.count, counts.reduce(0, +), "MPI_Allgatherv")
        let deposit = ThreadDeposit(call: "MPI_Allgatherv", kind: T.mpiKind, counts: counts, values: Array(send))
        let result = try exchange(deposit) { all, _ -> [T] in
            if all.contains(where: { $0.kind != all[0].kind || $0.counts != all[0].counts || $0.call != all[0].call }) {
                let details = all.enumerated().map { "rank \($0.offset): \($0.element.call) \($0.element.kind) counts \($0.element.counts)" }
                throw MPIError.mismatch(call: "MPI_Allgatherv", rank: rank, details: details.joined(separator: "; "))
            }
            return all.flatMap { $0.values as! [T] }
        }
        copy(result, into: recv)
    }

    public func alltoallv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                        into recv: UnsafeMutableBufferPointer<T>, recvCounts: [Int]) throws {
        guard sendCounts.count == size, recvCounts.count == size, send.count >= sendCounts.reduce(0, +),
              (sendCounts + recvCounts).allSatisfy({ $0 >= 0 }) else {
            throw MPIError.invalidArgument(call: "MPI_Alltoallv", rank: rank,
                                           details: "send counts \(sendCounts) and receive counts \(recvCounts) do not fit")
        }
        try checkCapacity(recv.count, recvCounts.reduce(0, +), "MPI_Alltoallv")
        let deposit = ThreadDeposit(call: "MPI_Alltoallv", kind: T.mpiKind, counts: sendCounts + recvCounts,
                                    values: Array(send.prefix(sendCounts.reduce(0, +))))
        let result = try exchange(deposit) { all, _ -> [T] in
            var problems: [String] = []
            for i in 0 ..< size {
                if all[i].call != "MPI_Alltoallv" || all[i].kind != all[0].kind {
                    problems.append("rank \(i) calls \(all[i].call) with \(all[i].kind), rank 0 MPI_Alltoallv with \(all[0].kind)")
                    continue
                }
                for j in 0 ..< size where all[i].counts[j] != all[j].counts[size + i] {
                    problems.append("rank \(i) sends \(all[i].counts[j]) to rank \(j), which expects \(all[j].counts[size + i])")
                }
            }
            guard problems.isEmpty else {
                throw MPIError.mismatch(call: "MPI_Alltoallv", rank: rank, details: problems.joined(separator: "; "))
            }
            // From each rank, the block it addressed to this rank.
            return (0 ..< size).flatMap { from -> ArraySlice<T> in
                let start = all[from].counts[0 ..< rank].reduce(0, +)
                return (all[from].values as! [T])[start ..< start + all[from].counts[rank]]
            }
        }
        copy(result, into: recv)
    }

    public func startAllreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
        -> PendingCollective {
        let number = sequence
        sequence += 1
        group.deposit(ThreadDeposit(call: "MPI_Allreduce", kind: T.mpiKind, counts: [buffer.count], op: op,
                                    values: Array(buffer)), rank: rank, sequence: number)
        return ThreadPendingAllreduce(group: group, rank: rank, sequence: number) { all in
            try Self.agreed(all, rank: self.rank) { (values: [[T]]) in
                self.copy(Self.fold(values, op: op), into: buffer)
            }
        }
    }

    public func split(color: Int?, key: Int) throws -> (any Collectives)? {
        if let color, color < 0 {
            throw MPIError.invalidArgument(call: "MPI_Comm_split", rank: rank, details: "color \(color) is negative")
        }
        let deposit = ThreadDeposit(call: "MPI_Comm_split", kind: .int64, counts: [color ?? -1, key], values: [Int64]())
        return try exchange(deposit) { all, number -> (any Collectives)? in
            guard all.allSatisfy({ $0.call == "MPI_Comm_split" }) else {
                throw MPIError.mismatch(call: "MPI_Comm_split", rank: rank,
                                        details: all.enumerated().map { "rank \($0.offset): \($0.element.call)" }.joined(separator: "; "))
            }
            guard let color else { return nil }
            let members = (0 ..< size).filter { all[$0].counts[0] == color }
                .sorted { (all[$0].counts[1], $0) < (all[$1].counts[1], $1) }
            let split = group.splitGroup(sequence: number, color: color, members: members)
            return ThreadCommunicator(group: split, rank: members.firstIndex(of: rank)!)
        }
    }

    // MARK: Helpers

    /// Allreduce or reduce: every rank folds the deposits in rank order.
    private func reduced<T: MPIScalar>(_ call: String, _ values: [T], op: ReduceOp, root: Int?) throws -> [T] {
        try collective(call, T.self, count: values.count, op: op, root: root, values: values) { Self.fold($0, op: op) }
    }

    /// ((v0 ∘ v1) ∘ v2) ∘ … elementwise.
    private static func fold<T: MPIScalar>(_ all: [[T]], op: ReduceOp) -> [T] {
        var result = all[0]
        for other in all.dropFirst() {
            for i in result.indices { result[i] = op.combine(result[i], other[i]) }
        }
        return result
    }

    /// A collective whose signature (call, type, count, operator, root) must be the same on every
    /// rank; `finish` gets every rank's values in rank order.
    private func collective<T: MPIScalar, R>(_ call: String, _: T.Type, count: Int, op: ReduceOp? = nil, root: Int? = nil,
                                             values: [T], _ finish: ([[T]]) throws -> R) throws -> R {
        let deposit = ThreadDeposit(call: call, kind: T.mpiKind, counts: [count], op: op, root: root, values: values)
        return try exchange(deposit) { all, _ in try Self.agreed(all, rank: rank, finish) }
    }

    /// Checks the signatures, then calls `finish` with every rank's values.
    private static func agreed<T: MPIScalar, R>(_ all: [ThreadDeposit], rank: Int, _ finish: ([[T]]) throws -> R) throws -> R {
        if all.contains(where: { signature($0) != signature(all[0]) }) {
            let details = all.enumerated().map { "rank \($0.offset): \(signature($0.element))" }
            throw MPIError.mismatch(call: all[rank].call, rank: rank, details: details.joined(separator: "; "))
        }
        return try finish(all.map { $0.values as! [T] })
    }

    /// One collective: deposits, collects every rank's deposits (blocking), calls `finish` with
    /// them and the collective's sequence number.
    private func exchange<R>(_ deposit: ThreadDeposit, _ finish: ([ThreadDeposit], Int) throws -> R) throws -> R {
        let number = sequence
        sequence += 1
        group.deposit(deposit, rank: rank, sequence: number)
        return try finish(try group.collect(rank: rank, sequence: number, call: deposit.call), number)
    }

    /// "MPI_Allreduce of 3 Float, sum", as the MPI communicator's checked mode describes a call.
    private static func signature(_ deposit: ThreadDeposit) -> String {
        MPIError.describeCall(deposit.call, count: deposit.counts.map(String.init).joined(separator: ", "),
                              kind: "\(deposit.kind)", op: deposit.op, root: deposit.root)
    }

    private func copy<T>(_ values: [T], into buffer: UnsafeMutableBufferPointer<T>) {
        values.withUnsafeBufferPointer { source in
            guard let from = source.baseAddress, let to = buffer.baseAddress, !values.isEmpty else { return }
            to.update(from: from, count: values.count)
        }
    }
}

/// A started allreduce of a thread world: complete once every rank has started it.
private final class ThreadPendingAllreduce: PendingCollective {
    let group: ThreadGroup
    let rank: Int
    let sequence: Int
    /// Writes the result into the caller's buffer; nil once done.
    private var finish: (([ThreadDeposit]) throws -> Void)?

    init(group: ThreadGroup, rank: Int, sequence: Int, finish: @escaping ([ThreadDeposit]) throws -> Void) {
        self.group = group
        self.rank = rank
        self.sequence = sequence
        self.finish = finish
    }

    func wait() throws {
        guard let finish else { return }
        self.finish = nil
        try finish(try group.collect(rank: rank, sequence: sequence, call: "MPI_Allreduce"))
    }

    func test() throws -> Bool {
        guard finish == nil || group.isComplete(sequence: sequence) else { return false }
        try wait()
        return true
    }
}

/// The cluster of one rank of a `ThreadWorld`: `abort` ends this rank's thread (not the process)
/// after telling every other rank, whose collectives then throw.
public final class ThreadCluster: Cluster, @unchecked Sendable {
    let threadWorld: ThreadWorld
    let communicator: ThreadCommunicator
    /// Kept for the trainer's long allowances; the thread world's own timeout is what limits waits.
    public let timeout = CollectiveTimeout()

    init(world: ThreadWorld, communicator: ThreadCommunicator) {
        threadWorld = world
        self.communicator = communicator
    }

    public var world: any Collectives { communicator }

    public func abort(code: Int32, message: String) -> Never {
        threadWorld.recordAbort(rank: communicator.rank, message: message)
        pthread_exit(nil)
    }

    public func finalize() throws {}

    /// Every rank's identity gathered and compared, as `Communicator.requireSameRun` does.
    public func requireSameRun(_ identity: RunIdentity) throws {
        let texts = try communicator.allgatherv(Array(identity.text.utf8))
        let identities = texts.map { RunIdentity(text: String(decoding: $0, as: UTF8.self)) }
        guard identities.contains(where: { $0 != identities[0] }) else { return }
        throw RunDisagreement(identities: identities)
    }

    public var description: String { "thread world of \(threadWorld.size) (rank \(communicator.rank))" }
}
