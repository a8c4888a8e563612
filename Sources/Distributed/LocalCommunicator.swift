/// A world of one process: every collective is the identity (or a copy from `send` to `recv`).
/// Used when the program runs without mpirun, so that tests and single-process runs need no MPI.
public final class LocalCommunicator: Collectives {
    public init() {}

    public var rank: Int { 0 }
    public var size: Int { 1 }

    public func barrier() throws {}

    public func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws {
        try checkRoot(root, "broadcast")
    }

    public func allreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws {}

    public func allreduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                        op: ReduceOp) throws {
        try copy(send, into: recv, call: "allreduce")
    }

    public func reduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>?,
                                     op: ReduceOp, root: Int) throws {
        if let recv = try checkReduce(send.count, into: recv, root: root, "reduce") {
            try copy(send, into: recv, call: "reduce")
        }
    }

    public func allgather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>,
                                        into recv: UnsafeMutableBufferPointer<T>) throws {
        try copy(send, into: recv, call: "allgather")
    }

    public func allgatherv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                         counts: [Int]) throws {
        guard counts == [send.count] else {
            throw MPIError.invalidArgument(call: "allgatherv", rank: 0,
                                           details: "counts \(counts) do not match the contribution of \(send.count)")
        }
        try copy(send, into: recv, call: "allgatherv")
    }

    public func alltoallv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                        into recv: UnsafeMutableBufferPointer<T>, recvCounts: [Int]) throws {
        guard sendCounts.count == 1, recvCounts == sendCounts, send.count >= sendCounts[0] else {
            throw MPIError.invalidArgument(call: "alltoallv", rank: 0,
                                           details: "send counts \(sendCounts) and receive counts \(recvCounts) differ")
        }
        try copy(UnsafeBufferPointer(rebasing: send[0 ..< sendCounts[0]]), into: recv, call: "alltoallv")
    }

    public func startAllreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
        -> PendingCollective {
        CompletedCollective()
    }

    public func split(color: Int?, key: Int) throws -> (any Collectives)? {
        color == nil ? nil : LocalCommunicator()
    }

    private func copy<T>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                         call: String) throws {
        try checkCapacity(recv.count, send.count, call)
        guard send.count > 0, let source = send.baseAddress, let target = recv.baseAddress,
              UnsafeRawPointer(source) != UnsafeRawPointer(target) else { return }
        target.update(from: source, count: send.count)
    }
}

/// A collective that finished when it was started.
final class CompletedCollective: PendingCollective {
    func wait() throws {}
    func test() throws -> Bool { true }
}
