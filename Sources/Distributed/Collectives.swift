/// The collectives the trainer needs, over typed buffers, without copies.
///
/// Two implementations: `Communicator` (MPI) and `LocalCommunicator` (a world of one, where every
/// collective is the identity or a copy). Buffers are borrowed for the duration of the call only,
/// except for `startAllreduce`, whose buffer must stay alive until the returned request is waited on.
/// Counts larger than `Int32.max` elements are split into several MPI calls.
public protocol Collectives: AnyObject {
    /// This process's rank in the communicator.
    var rank: Int { get }
    /// Number of processes in the communicator.
    var size: Int { get }

    /// Blocks until every rank reached the barrier.
    func barrier() throws
    /// Copies `root`'s buffer into every rank's buffer (same count everywhere).
    func broadcast<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, root: Int) throws
    /// Reduces elementwise over the ranks, in place.
    func allreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
    /// Reduces elementwise over the ranks from `send` into `recv` (same count).
    func allreduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                 op: ReduceOp) throws
    /// Reduces onto `root`; `recv` is used on the root only (it may be nil elsewhere).
    func reduce<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>?,
                              op: ReduceOp, root: Int) throws
    /// Gathers equal contributions: `recv` holds `size × send.count` elements in rank order.
    func allgather<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>) throws
    /// Gathers contributions of `counts[r]` elements from each rank r into `recv`, in rank order.
    func allgatherv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, into recv: UnsafeMutableBufferPointer<T>,
                                  counts: [Int]) throws
    /// Personalized exchange: `sendCounts[r]` elements (consecutive in `send`) go to rank r;
    /// `recvCounts[r]` elements arrive from rank r, consecutive in `recv` in rank order.
    func alltoallv<T: MPIScalar>(_ send: UnsafeBufferPointer<T>, sendCounts: [Int],
                                 into recv: UnsafeMutableBufferPointer<T>, recvCounts: [Int]) throws
    /// Starts an in-place allreduce and returns at once; call `wait()` on the result before
    /// touching the buffer again.
    func startAllreduce<T: MPIScalar>(_ buffer: UnsafeMutableBufferPointer<T>, op: ReduceOp) throws
        -> PendingCollective
    /// Splits into sub-communicators: ranks with the same color form one, ordered by `key` then
    /// by rank. A nil color leaves this rank out (it gets nil).
    func split(color: Int?, key: Int) throws -> (any Collectives)?
}

/// A started nonblocking collective.
public protocol PendingCollective: AnyObject {
    /// Blocks until the collective completed on this rank.
    func wait() throws
    /// Whether the collective completed on this rank, without blocking. Open MPI advances
    /// nonblocking collectives only inside MPI calls, so polling this is what lets one progress
    /// while the caller computes.
    func test() throws -> Bool
}

extension Collectives {
    /// In-place allreduce of an array.
    public func allreduce<T: MPIScalar>(_ values: inout [T], op: ReduceOp) throws {
        try values.withUnsafeMutableBufferPointer { try allreduce($0, op: op) }
    }

    /// Every rank's value, in rank order.
    public func allgather<T: MPIScalar>(_ value: T) throws -> [T] {
        try allgather([value])
    }

    /// Every rank's equal-length array, concatenated in rank order.
    public func allgather<T: MPIScalar>(_ values: [T]) throws -> [T] {
        var result = [T](repeating: .zero, count: values.count * size)
        try values.withUnsafeBufferPointer { send in
            try result.withUnsafeMutableBufferPointer { try allgather(send, into: $0) }
        }
        return result
    }

    /// Every rank's array (lengths may differ), in rank order.
    public func allgatherv<T: MPIScalar>(_ values: [T]) throws -> [[T]] {
        let counts = try allgather(Int64(values.count)).map { Int($0) }
        var flat = [T](repeating: .zero, count: counts.reduce(0, +))
        try values.withUnsafeBufferPointer { send in
            try flat.withUnsafeMutableBufferPointer { try allgatherv(send, into: $0, counts: counts) }
        }
        var result: [[T]] = []
        var start = 0
        for count in counts {
            result.append(Array(flat[start ..< start + count]))
            start += count
        }
        return result
    }

    /// Broadcast of an array whose length is the same on every rank.
    public func broadcast<T: MPIScalar>(_ values: inout [T], root: Int) throws {
        try values.withUnsafeMutableBufferPointer { try broadcast($0, root: root) }
    }

    /// Broadcast of a string from `root` (other ranks' argument is ignored).
    public func broadcast(_ text: String, root: Int) throws -> String {
        var length = [Int64(text.utf8.count)]
        try broadcast(&length, root: root)
        var bytes = rank == root ? Array(text.utf8) : [UInt8](repeating: 0, count: Int(length[0]))
        try broadcast(&bytes, root: root)
        return String(decoding: bytes, as: UTF8.self)
    }
}
