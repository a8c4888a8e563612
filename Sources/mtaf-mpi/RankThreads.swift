import Foundation

/// OpenBLAS threads per rank: DIST.THREADS_PER_RANK, or (0) the node's cores divided by the ranks
/// that mpirun placed on this node.
enum RankThreads {
    static func count(requested: Int) -> Int {
        if requested > 0 { return requested }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let environment = ProcessInfo.processInfo.environment
        let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init)
            ?? environment["MPI_LOCALNRANKS"].flatMap(Int.init)
            ?? environment["SLURM_NTASKS_PER_NODE"].flatMap(Int.init) ?? 1
        return max(1, cores / max(local, 1))
    }
}
