// The argument checks every `Collectives` implementation makes before a collective starts (MPI
// would crash or corrupt memory on them; ours throw on the calling rank).

extension Collectives {
    /// Throws unless `root` is a rank of this communicator.
    ///
    /// - Throws: `MPIError.invalidArgument` naming `call`.
    func checkRoot(_ root: Int, _ call: String) throws {
        guard (0 ..< size).contains(root) else {
            throw MPIError.invalidArgument(call: call, rank: rank, details: "root \(root) outside a world of \(size)")
        }
    }

    /// Throws unless `root` is a rank and, on the root, `recv` exists and holds `count` elements;
    /// returns the root's receive buffer (nil on the other ranks).
    ///
    /// - Throws: `MPIError.invalidArgument` naming `call`.
    @discardableResult
    func checkReduce<T>(_ count: Int, into recv: UnsafeMutableBufferPointer<T>?, root: Int,
                        _ call: String) throws -> UnsafeMutableBufferPointer<T>? {
        try checkRoot(root, call)
        guard rank == root else { return nil }
        guard let recv else {
            throw MPIError.invalidArgument(call: call, rank: rank, details: "the root needs a receive buffer")
        }
        try checkCapacity(recv.count, count, call)
        return recv
    }

    /// Throws unless a buffer of `capacity` elements holds the `needed` ones.
    ///
    /// - Throws: `MPIError.invalidArgument` naming `call`.
    func checkCapacity(_ capacity: Int, _ needed: Int, _ call: String) throws {
        guard capacity >= needed else {
            throw MPIError.invalidArgument(call: call, rank: rank,
                                           details: "buffer of \(capacity) elements, \(needed) needed")
        }
    }
}
