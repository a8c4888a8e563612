import Foundation

/// OpenBLAS threads per rank: DIST.THREADS_PER_RANK, or (0) the cores this process may run on
/// divided by the ranks that mpirun placed on this node. A rank that mpirun bound to fewer cores
/// (Open MPI binds to one core when it starts two ranks or fewer) sees only those: its affinity
/// mask is counted, not the machine's cores.
enum RankThreads {
    static func count(requested: Int) -> Int {
        if requested > 0 { return requested }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if let allowed = allowedCores(), allowed < cores {
            // Bound: the mask already is this rank's share of the node.
            return max(1, allowed)
        }
        let environment = ProcessInfo.processInfo.environment
        let local = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init)
            ?? environment["MPI_LOCALNRANKS"].flatMap(Int.init)
            ?? environment["SLURM_NTASKS_PER_NODE"].flatMap(Int.init) ?? 1
        return max(1, cores / max(local, 1))
    }

    /// The number of cores in this process's affinity mask (`Cpus_allowed` of /proc/self/status),
    /// or nil where that is not readable.
    static func allowedCores() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return nil }
        let hex = line.dropFirst("Cpus_allowed:".count).filter(\.isHexDigit)
        return hex.reduce(0) { $0 + ($1.hexDigitValue ?? 0).nonzeroBitCount }
    }
}
