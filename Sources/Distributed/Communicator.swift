#if canImport(Glibc)
import Glibc
#endif

/// An MPI communicator with MPI_ERRORS_RETURN set: every failure is a thrown `MPIError` that names
/// the call and the rank. Every collective starts nonblocking and completes in `complete`, which
/// sleeps between polls and aborts the job when the collective outlasts `timeout`.
///
/// In checked mode (the default in debug builds and tests; `MTAF_MPI_CHECKED=1|0` overrides) each
/// collective first agrees on its call, element type, count, operator and root with one tiny
/// allgather, so that a mismatch becomes an error on every rank instead of a hang or a truncation.
public final class Communicator: Collectives, @unchecked Sendable {
    let handle: CommunicatorHandle
    private let ownsHandle: Bool
    public let rank: Int
    public let size: Int
    /// How long a collective may wait, shared with every communicator split from the same world.
    public let timeout: CollectiveTimeout
    /// Identifies this communicator in timeout reports (0: the world; the same on every member).
    let id: Int64
    /// The world rank of each rank of this communicator.
    var worldRanks: [Int]
    /// Collectives completed on this communicator so far (the same count on every member).
    var sequence: Int64 = 0
    /// Whether collectives verify that all ranks agree on their arguments first.
    public var checked: Bool
    /// Largest element count passed to one MPI call; larger buffers are chunked. Lowered only by
    /// tests, to exercise the chunked paths on small buffers.
    public var maxElementsPerCall: Int = Int(Int32.max)

    /// The world communicator; `timeout` comes with its own duplicate of the world for queries.
    init(world handle: CommunicatorHandle, checked: Bool, timeout: CollectiveTimeout) throws {
        self.handle = handle
        ownsHandle = false
        self.checked = checked
        self.timeout = timeout
        id = 0
        rank = try MPICalls.rank(handle)
        size = try MPICalls.size(handle, rank: rank)
        worldRanks = Array(0 ..< size)
    }

    /// A communicator split from `parent`; `worldRanks` is filled in by `split`.
    private init(handle: CommunicatorHandle, parent: Communicator, id: Int64) throws {
        self.handle = handle
        ownsHandle = true
        checked = parent.checked
        timeout = parent.timeout
        self.id = id
        rank = try MPICalls.rank(handle)
        size = try MPICalls.size(handle, rank: rank)
        worldRanks = []
    }

    deinit {
        if ownsHandle, !MPICalls.isFinalized() { MPICalls.free(handle) }
    }

    /// The default of `checked`: on in debug builds, off in release, `MTAF_MPI_CHECKED` overrides.
    public static var checkedByDefault: Bool {
        if let value = getenvString("MTAF_MPI_CHECKED") { return value != "0" }
        #if DEBUG
        return true
        #else
        return false
        #endif
    }

    // MARK: Collectives

    public func barrier() throws {
        try complete([MPICalls.ibarrier(handle, rank: rank)], "MPI_Barrier")
    }

    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        try checkRoot(root, "MPI_Bcast")
        try agree(.broadcast, T.self, count: buffer.count, root: root)
        try forEachChunk(buffer.count) { offset, count in
            try complete([MPICalls.ibroadcast(buffer.baseAddress.map { UnsafeMutableRawPointer($0 + offset) }, count: count,
                                              type: T.mpiKind.handle, root: Int32(root), comm: handle, rank: rank)],
                         "MPI_Bcast")
        }
    }

    public func allreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        try agree(.allreduce, T.self, count: buffer.count, op: op)
        try forEachChunk(buffer.count) { offset, count in
            try complete([MPICalls.iallreduce(nil, buffer.baseAddress.map { UnsafeMutableRawPointer($0 + offset) },
                                              count: count, type: T.mpiKind.handle, op: op, comm: handle, rank: rank)],
                         "MPI_Allreduce")
        }
    }

    public func allreduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                        op: ReduceOp) throws {
        try checkCapacity(recv.count, send.count, "MPI_Allreduce")
        try agree(.allreduce, T.self, count: send.count, op: op)
        try forEachChunk(send.count) { offset, count in
            try complete([MPICalls.iallreduce(send.baseAddress.map { UnsafeRawPointer($0 + offset) },
                                              recv.baseAddress.map { UnsafeMutableRawPointer($0 + offset) }, count: count,
                                              type: T.mpiKind.handle, op: op, comm: handle, rank: rank)],
                         "MPI_Allreduce")
        }
    }

    public func reduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>?,
                                     op: ReduceOp, root: Int) throws {
        try checkReduce(send.count, into: recv, root: root, "MPI_Reduce")
        try agree(.reduce, T.self, count: send.count, op: op, root: root)
        try forEachChunk(send.count) { offset, count in
            try complete([MPICalls.ireduce(send.baseAddress.map { UnsafeRawPointer($0 + offset) },
                                           recv?.baseAddress.map { UnsafeMutableRawPointer($0 + offset) }, count: count,
                                           type: T.mpiKind.handle, op: op, root: Int32(root), comm: handle, rank: rank)],
                         "MPI_Reduce")
        }
    }

    public func allgather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>,
                                        into recv: UnsafeMutableBufferPointer<T>) throws {
        try checkCapacity(recv.count, send.count * size, "MPI_Allgather")
        try agree(.allgather, T.self, count: send.count)
        if send.count <= maxElementsPerCall {
            try complete([MPICalls.iallgather(send.baseAddress.map { UnsafeRawPointer($0) },
                                              recv.baseAddress.map { UnsafeMutableRawPointer($0) }, count: Int32(send.count),
                                              type: T.mpiKind.handle, comm: handle, rank: rank)],
                         "MPI_Allgather")
        } else {
            try gatherByBroadcasts(send, into: recv, counts: Array(repeating: send.count, count: size))
        }
    }

    public func allgatherv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                         counts: [Int]) throws {
        guard counts.count == size, counts.allSatisfy({ $0 >= 0 }), counts[rank] == send.count else {
            throw MPIError.invalidArgument(
                call: "MPI_Allgatherv", rank: rank,
                details: "counts \(counts) must have \(size) non-negative entries with this rank's \(send.count) at \(rank)")
        }
        let total = counts.reduce(0, +)
        try checkCapacity(recv.count, total, "MPI_Allgatherv")
        try agreeOnCounts(.allgatherv, T.self, counts: counts)
        if total <= maxElementsPerCall {
            try rawAllgatherv(UnsafeRawPointer(send.baseAddress), count: send.count,
                           into: UnsafeMutableRawPointer(recv.baseAddress), counts: counts, type: T.mpiKind)
        } else {
            try gatherByBroadcasts(send, into: recv, counts: counts)
        }
    }

    public func alltoallv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                        into recv: UnsafeMutableBufferPointer<T>, recvCounts: [Int]) throws {
        guard sendCounts.count == size, recvCounts.count == size,
              sendCounts.allSatisfy({ $0 >= 0 }), recvCounts.allSatisfy({ $0 >= 0 }) else {
            throw MPIError.invalidArgument(call: "MPI_Alltoallv", rank: rank,
                                           details: "send counts \(sendCounts) and receive counts \(recvCounts) need \(size) non-negative entries")
        }
        let sendTotal = sendCounts.reduce(0, +), recvTotal = recvCounts.reduce(0, +)
        try checkCapacity(send.count, sendTotal, "MPI_Alltoallv (send)")
        try checkCapacity(recv.count, recvTotal, "MPI_Alltoallv (receive)")
        try agreeOnExchange(T.self, sendCounts: sendCounts, recvCounts: recvCounts)
        let sendDisplacements = exclusivePrefixSums(sendCounts), recvDisplacements = exclusivePrefixSums(recvCounts)
        if max(sendTotal, recvTotal) <= maxElementsPerCall {
            // The count arrays stay alive (and unmoved) until the request completes.
            let arrays = [sendCounts, sendDisplacements, recvCounts, recvDisplacements].map { $0.map { Int32($0) } }
            try arrays[0].withUnsafeBufferPointer { sc in
                try arrays[1].withUnsafeBufferPointer { sd in
                    try arrays[2].withUnsafeBufferPointer { rc in
                        try arrays[3].withUnsafeBufferPointer { rd in
                            try complete([MPICalls.ialltoallv(UnsafeRawPointer(send.baseAddress), sendCounts: sc.baseAddress!,
                                                              sendDisplacements: sd.baseAddress!,
                                                              UnsafeMutableRawPointer(recv.baseAddress),
                                                              recvCounts: rc.baseAddress!, recvDisplacements: rd.baseAddress!,
                                                              type: T.mpiKind.handle, comm: handle, rank: rank)],
                                         "MPI_Alltoallv")
                        }
                    }
                }
            }
            return
        }
        // Large exchange: nonblocking point-to-point messages, each direction chunked the same
        // way on both ends (MPI keeps messages of one pair and tag in order), so no count or
        // displacement has to fit in Int32.
        var requests: [RequestHandle] = []
        for peer in 0 ..< size {
            for offset in stride(from: 0, to: recvCounts[peer], by: maxElementsPerCall) {
                requests.append(try MPICalls.irecv(
                    recv.baseAddress.map { UnsafeMutableRawPointer($0 + recvDisplacements[peer] + offset) },
                    count: Int32(min(maxElementsPerCall, recvCounts[peer] - offset)), source: Int32(peer), tag: 7,
                    type: T.mpiKind.handle, comm: handle, rank: rank))
            }
        }
        for peer in 0 ..< size {
            for offset in stride(from: 0, to: sendCounts[peer], by: maxElementsPerCall) {
                requests.append(try MPICalls.isend(
                    send.baseAddress.map { UnsafeRawPointer($0 + sendDisplacements[peer] + offset) },
                    count: Int32(min(maxElementsPerCall, sendCounts[peer] - offset)), destination: Int32(peer), tag: 7,
                    type: T.mpiKind.handle, comm: handle, rank: rank))
            }
        }
        try complete(requests, "MPI_Alltoallv (point to point)")
    }

    public func startAllreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
        -> PendingCollective {
        try agree(.allreduce, T.self, count: buffer.count, op: op)
        var requests: [RequestHandle] = []
        try forEachChunk(buffer.count) { offset, count in
            requests.append(try MPICalls.iallreduce(nil, buffer.baseAddress.map { UnsafeMutableRawPointer($0 + offset) },
                                                    count: count, type: T.mpiKind.handle, op: op, comm: handle,
                                                    rank: rank))
        }
        return MPIRequests(requests, communicator: self)
    }

    public func split(color: Int?, key: Int) throws -> (any Collectives)? {
        let splitIndex = timeout.nextSplit()
        guard let newHandle = try MPICalls.split(handle, color: color, key: key, rank: rank), let color else { return nil }
        let group = try Communicator(handle: newHandle, parent: self, id: splitIndex << 32 | Int64(color + 1))
        group.worldRanks = try group.allgatherFixed(Int64(timeout.worldRank)).map { Int($0) }
        return group
    }

    // MARK: Helpers

    /// Calls `body(offset, count)` for consecutive chunks of at most `maxElementsPerCall` elements.
    /// A zero count still makes one call, so that every rank takes part in the collective.
    private func forEachChunk(_ total: Int, _ body: (Int, Int32) throws -> Void) throws {
        var offset = 0
        repeat {
            let count = min(total - offset, maxElementsPerCall)
            try body(offset, Int32(count))
            offset += count
        } while offset < total
    }

    /// Allgather(v) for contributions too large for one call: each rank broadcasts its block.
    private func gatherByBroadcasts<T: MPIScalar>(_ send: UnsafeBufferPointer<T>,
                                                  into recv: UnsafeMutableBufferPointer<T>, counts: [Int]) throws {
        let displacements = exclusivePrefixSums(counts)
        if let source = send.baseAddress, let target = recv.baseAddress, send.count > 0 {
            (target + displacements[rank]).update(from: source, count: send.count)
        }
        for root in 0 ..< size {
            let block = UnsafeMutableBufferPointer(rebasing: recv[displacements[root] ..< displacements[root] + counts[root]])
            try forEachChunk(block.count) { offset, count in
                try complete([MPICalls.ibroadcast(block.baseAddress.map { UnsafeMutableRawPointer($0 + offset) },
                                                  count: count, type: T.mpiKind.handle, root: Int32(root), comm: handle,
                                                  rank: rank)], "MPI_Bcast")
            }
        }
    }

    /// MPI_Allgather of one Int64 per rank, outside checked mode.
    func allgatherFixed(_ value: Int64) throws -> [Int64] {
        var mine = [value]
        var all = [Int64](repeating: 0, count: size)
        try mine.withUnsafeMutableBufferPointer { send in
            try all.withUnsafeMutableBufferPointer { recv in
                try complete([MPICalls.iallgather(UnsafeRawPointer(send.baseAddress!), UnsafeMutableRawPointer(recv.baseAddress!),
                                                  count: 1, type: MPIScalarKind.int64.handle, comm: handle, rank: rank)],
                             "MPI_Allgather")
            }
        }
        return all
    }

    /// MPI_Allgatherv of raw elements, outside checked mode; the count arrays live until it completes.
    func rawAllgatherv(_ send: UnsafeRawPointer?, count: Int, into recv: UnsafeMutableRawPointer?, counts: [Int],
                    type: MPIScalarKind) throws {
        let counts32 = counts.map { Int32($0) }, displacements = exclusivePrefixSums(counts).map { Int32($0) }
        try counts32.withUnsafeBufferPointer { c in
            try displacements.withUnsafeBufferPointer { d in
                try complete([MPICalls.iallgatherv(send, sendCount: Int32(count), recv, counts: c.baseAddress!,
                                                   displacements: d.baseAddress!, type: type.handle, comm: handle,
                                                   rank: rank)], "MPI_Allgatherv")
            }
        }
    }

}

/// Requests of one started collective (several when it was chunked).
final class MPIRequests: PendingCollective {
    /// MPI sets each to MPI_REQUEST_NULL once it completed.
    private var requests: [RequestHandle?]
    private let communicator: Communicator

    init(_ requests: [RequestHandle], communicator: Communicator) {
        self.requests = requests
        self.communicator = communicator
    }

    func wait() throws {
        try communicator.complete(requests, "MPI_Allreduce (started early)")
    }

    func test() throws -> Bool {
        try MPICalls.testAll(&requests, rank: communicator.rank)
    }
}

func exclusivePrefixSums(_ counts: [Int]) -> [Int] {
    var result: [Int] = []
    result.reserveCapacity(counts.count)
    var sum = 0
    for count in counts {
        result.append(sum)
        sum += count
    }
    return result
}

func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}
