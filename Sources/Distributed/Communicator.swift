#if canImport(Glibc)
import Glibc
#endif

/// An MPI communicator with MPI_ERRORS_RETURN set: every failure is a thrown `MPIError` that names
/// the call and the rank.
///
/// In checked mode (the default in debug builds and tests; `MTAF_MPI_CHECKED=1|0` overrides) each
/// collective first agrees on its call, element type, count, operator and root with one tiny
/// allgather, so that a mismatch becomes an error on every rank instead of a hang or a truncation.
public final class Communicator: Collectives, @unchecked Sendable {
    let handle: CommunicatorHandle
    private let ownsHandle: Bool
    public let rank: Int
    public let size: Int
    /// Whether collectives verify that all ranks agree on their arguments first.
    public var checked: Bool
    /// Largest element count passed to one MPI call; larger buffers are chunked. Lowered only by
    /// tests, to exercise the chunked paths on small buffers.
    public var maxElementsPerCall: Int = Int(Int32.max)

    init(handle: CommunicatorHandle, ownsHandle: Bool, checked: Bool) throws {
        self.handle = handle
        self.ownsHandle = ownsHandle
        self.checked = checked
        rank = try MPICalls.rank(handle)
        size = try MPICalls.size(handle, rank: rank)
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
        try MPICalls.barrier(handle, rank: rank)
    }

    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        try checkRoot(root, "MPI_Bcast")
        try agree(.broadcast, T.self, count: buffer.count, root: root)
        try forEachChunk(buffer.count) { offset, count in
            try MPICalls.broadcast(buffer.baseAddress.map { UnsafeMutableRawPointer($0 + offset) }, count: count,
                                   type: T.mpiKind.handle, root: Int32(root), comm: handle, rank: rank)
        }
    }

    public func allreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {
        try agree(.allreduce, T.self, count: buffer.count, op: op)
        try forEachChunk(buffer.count) { offset, count in
            try MPICalls.allreduce(nil, buffer.baseAddress.map { UnsafeMutableRawPointer($0 + offset) }, count: count,
                                   type: T.mpiKind.handle, op: op, comm: handle, rank: rank)
        }
    }

    public func allreduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                        op: ReduceOp) throws {
        try requireCapacity(recv.count, send.count, "MPI_Allreduce")
        try agree(.allreduce, T.self, count: send.count, op: op)
        try forEachChunk(send.count) { offset, count in
            try MPICalls.allreduce(send.baseAddress.map { UnsafeRawPointer($0 + offset) },
                                   recv.baseAddress.map { UnsafeMutableRawPointer($0 + offset) }, count: count,
                                   type: T.mpiKind.handle, op: op, comm: handle, rank: rank)
        }
    }

    public func reduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>?,
                                     op: ReduceOp, root: Int) throws {
        try checkRoot(root, "MPI_Reduce")
        if rank == root {
            guard let recv else {
                throw MPIError.invalidArgument(call: "MPI_Reduce", rank: rank, details: "the root needs a receive buffer")
            }
            try requireCapacity(recv.count, send.count, "MPI_Reduce")
        }
        try agree(.reduce, T.self, count: send.count, op: op, root: root)
        try forEachChunk(send.count) { offset, count in
            try MPICalls.reduce(send.baseAddress.map { UnsafeRawPointer($0 + offset) },
                                recv?.baseAddress.map { UnsafeMutableRawPointer($0 + offset) }, count: count,
                                type: T.mpiKind.handle, op: op, root: Int32(root), comm: handle, rank: rank)
        }
    }

    public func allgather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>,
                                        into recv: UnsafeMutableBufferPointer<T>) throws {
        try requireCapacity(recv.count, send.count * size, "MPI_Allgather")
        try agree(.allgather, T.self, count: send.count)
        if send.count <= maxElementsPerCall {
            try MPICalls.allgather(send.baseAddress.map { UnsafeRawPointer($0) },
                                   recv.baseAddress.map { UnsafeMutableRawPointer($0) }, count: Int32(send.count),
                                   type: T.mpiKind.handle, comm: handle, rank: rank)
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
        try requireCapacity(recv.count, total, "MPI_Allgatherv")
        try agreeOnCounts(.allgatherv, T.self, counts: counts)
        if total <= maxElementsPerCall {
            let displacements = exclusivePrefixSums(counts)
            try MPICalls.allgatherv(send.baseAddress.map { UnsafeRawPointer($0) }, sendCount: Int32(send.count),
                                    recv.baseAddress.map { UnsafeMutableRawPointer($0) },
                                    counts: counts.map { Int32($0) }, displacements: displacements.map { Int32($0) },
                                    type: T.mpiKind.handle, comm: handle, rank: rank)
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
        try requireCapacity(send.count, sendTotal, "MPI_Alltoallv (send)")
        try requireCapacity(recv.count, recvTotal, "MPI_Alltoallv (receive)")
        try agreeOnExchange(T.self, sendCounts: sendCounts, recvCounts: recvCounts)
        let sendDisplacements = exclusivePrefixSums(sendCounts), recvDisplacements = exclusivePrefixSums(recvCounts)
        if max(sendTotal, recvTotal) <= maxElementsPerCall {
            try MPICalls.alltoallv(send.baseAddress.map { UnsafeRawPointer($0) },
                                   sendCounts: sendCounts.map { Int32($0) },
                                   sendDisplacements: sendDisplacements.map { Int32($0) },
                                   recv.baseAddress.map { UnsafeMutableRawPointer($0) },
                                   recvCounts: recvCounts.map { Int32($0) },
                                   recvDisplacements: recvDisplacements.map { Int32($0) },
                                   type: T.mpiKind.handle, comm: handle, rank: rank)
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
        try MPIRequests(requests, rank: rank).wait()
    }

    public func startAllreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
        -> PendingCollective {
        try agree(.allreduce, T.self, count: buffer.count, op: op)
        var requests: [RequestHandle] = []
        try forEachChunk(buffer.count) { offset, count in
            requests.append(try MPICalls.iallreduce(buffer.baseAddress.map { UnsafeMutableRawPointer($0 + offset) },
                                                    count: count, type: T.mpiKind.handle, op: op, comm: handle,
                                                    rank: rank))
        }
        return MPIRequests(requests, rank: rank)
    }

    public func split(color: Int?, key: Int) throws -> (any Collectives)? {
        guard let newHandle = try MPICalls.split(handle, color: color, key: key, rank: rank) else { return nil }
        return try Communicator(handle: newHandle, ownsHandle: true, checked: checked)
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
                try MPICalls.broadcast(block.baseAddress.map { UnsafeMutableRawPointer($0 + offset) }, count: count,
                                       type: T.mpiKind.handle, root: Int32(root), comm: handle, rank: rank)
            }
        }
    }

    private func checkRoot(_ root: Int, _ call: String) throws {
        guard (0 ..< size).contains(root) else {
            throw MPIError.invalidArgument(call: call, rank: rank, details: "root \(root) outside 0..<\(size)")
        }
    }

    private func requireCapacity(_ capacity: Int, _ needed: Int, _ call: String) throws {
        guard capacity >= needed else {
            throw MPIError.invalidArgument(call: call, rank: rank,
                                           details: "buffer of \(capacity) elements, \(needed) needed")
        }
    }
}

/// Requests of one started collective (several when it was chunked).
final class MPIRequests: PendingCollective {
    private var requests: [RequestHandle]
    private let rank: Int

    init(_ requests: [RequestHandle], rank: Int) {
        self.requests = requests
        self.rank = rank
    }

    func wait() throws {
        while let request = requests.first {
            try MPICalls.wait(request, rank: rank)
            requests.removeFirst()
        }
    }

    func test() throws -> Bool {
        while let request = requests.first {
            guard try MPICalls.test(request, rank: rank) else { return false }
            requests.removeFirst()
        }
        return true
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
