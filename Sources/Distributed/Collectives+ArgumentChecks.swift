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
