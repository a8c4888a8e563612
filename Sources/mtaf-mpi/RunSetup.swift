import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension ConfigOptions {
    /// What `train` and `test` do first: load the config, join the cluster (MPI under mpirun),
    /// check that every rank runs the same build, command and configuration (before any other
    /// collective), set the collective timeout (DIST.TIMEOUT_S), the rank's OpenBLAS threads,
    /// and keep freed activation pages mapped.
    ///
    /// - Parameter command: the subcommand and the options that change what the ranks do
    ///   together (e.g. "train --resume"), compared across ranks.
    /// - Throws: `ExitCode.failure` on every rank (after printing why) when the ranks differ.
    func startRun(command: String) throws -> (config: MTAFConfig, cluster: any Cluster) {
        let settings = try load()
        let cluster = try ClusterLauncher.fromEnvironment()
        do {
            try cluster.requireSameRun(runIdentity(settings, command: command, cluster: cluster))
        } catch {
            printToStandardError("mtaf-mpi \(command.split(separator: " ")[0]): rank \(cluster.rank): "
                + (cluster.isRoot ? "\(error)" : "stopping: the ranks differ (rank 0 reports where)"))
            try? cluster.finalize()
            throw ExitCode.failure
        }
        cluster.timeout.seconds = settings.dist.timeoutS
        setBLASThreads(RankThreads.count(requested: settings.dist.threadsPerRank))
        ActivationMemory.keepFreedPages()
        return (settings, cluster)
    }

    /// This rank's binary, command, collective mode and every configuration key except
    /// DIST.THREADS_PER_RANK (a per-rank resource that may differ between nodes).
    private func runIdentity(_ settings: MTAFConfig, command: String, cluster: any Cluster) -> RunIdentity {
        let checked = (cluster.world as? Communicator)?.checked ?? false
        return RunIdentity([("binary", "mtaf-mpi \(MTAFNet.version), executable FNV-1a \(Self.executableHash)"),
                            ("command", command),
                            ("checked collectives (MTAF_MPI_CHECKED)", checked ? "on" : "off")]
            + settings.keyValues.filter { $0.key != "DIST.THREADS_PER_RANK" })
    }

    /// FNV-1a over this executable's bytes (8 at a time): the build's identity.
    private static var executableHash: String {
        guard let data = FileManager.default.contents(atPath: "/proc/self/exe") else { return "unreadable" }
        var hash = FNV1a()
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                hash.add(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
            }
            while offset < raw.count {
                hash.add(UInt64(raw[offset]))
                offset += 1
            }
        }
        return String(hash.value, radix: 16)
    }
}
