import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension ConfigOptions {
    /// What `train` and `test` do first: load the config, join the cluster (MPI under mpirun),
    /// resolve the convolution precision (`--precision`, else the AMP key), check that every rank
    /// runs the same build, command, configuration and precision (before any other collective),
    /// set the precision, the collective timeout (DIST.TIMEOUT_S), the rank's OpenBLAS threads,
    /// and keep freed activation pages mapped. Rank 0 logs the precision in one line when AMP or
    /// `--precision` is involved.
    ///
    /// - Parameters:
    ///   - command: the subcommand and the options that change what the ranks do together (e.g.
    ///     "train --resume"), compared across ranks.
    ///   - precision: the `--precision` option.
    ///   - ampKey: the config key that asks for bf16 ("TRAIN.AMP" or "TEST.AMP") and its value.
    /// - Throws: `ExitCode.failure` on every rank (after printing why) when the ranks differ or
    ///   `--precision bf16` cannot run here.
    func startRun(command: String, precision: PrecisionOption,
                  ampKey: (name: String, value: KeyPath<MTAFConfig, Bool>)) throws -> (config: MTAFConfig, cluster: any Cluster) {
        let settings = try load()
        let cluster = try ClusterLauncher.fromEnvironment()
        let choice = Result { () throws(PrecisionError) in
            try ConvolutionPrecision.resolve(requested: precision.precision?.precision, amp: settings[keyPath: ampKey.value],
                                             ampKey: ampKey.name, bf16Available: bf16GEMMAvailable)
        }
        let resolved: String
        switch choice {
        case .success(let c): resolved = c.precision.rawValue
        case .failure(let error): resolved = "none (\(error))"
        }
        do {
            try cluster.requireSameRun(runIdentity(settings, command: command + precision.commandSuffix,
                                                   precision: resolved, cluster: cluster))
        } catch {
            printToStandardError("mtaf-mpi \(command.split(separator: " ")[0]): rank \(cluster.rank): "
                + (cluster.isRoot ? "\(error)" : "stopping: the ranks differ (rank 0 reports where)"))
            try? cluster.finalize()
            throw ExitCode.failure
        }
        switch choice {
        case .success(let c):
            ConvolutionPrecision.set(c.precision)
            if let note = c.note, cluster.isRoot {
                if c.isWarning { printToStandardError("mtaf-mpi \(command.split(separator: " ")[0]): \(note)") } else { cluster.log0(note) }
            }
        case .failure(let error):
            if cluster.isRoot { printToStandardError("mtaf-mpi \(command.split(separator: " ")[0]): \(error)") }
            try? cluster.finalize()
            throw ExitCode.failure
        }
        cluster.timeout.seconds = settings.dist.timeoutS
        setBLASThreads(RankThreads.count(requested: settings.dist.threadsPerRank))
        ActivationMemory.keepFreedPages()
        return (settings, cluster)
    }

    /// This rank's binary, command, collective mode, resolved convolution precision and every
    /// configuration key except DIST.THREADS_PER_RANK (a per-rank resource that may differ between
    /// nodes).
    private func runIdentity(_ settings: MTAFConfig, command: String, precision: String,
                             cluster: any Cluster) -> RunIdentity {
        let checked = (cluster.world as? Communicator)?.checked ?? false
        return RunIdentity([("binary", "mtaf-mpi \(MTAFNet.version), executable FNV-1a \(Self.executableHash)"),
                            ("command", command),
                            ("checked collectives (MTAF_MPI_CHECKED)", checked ? "on" : "off"),
                            ("convolution precision", precision)]
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
