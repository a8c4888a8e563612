#if canImport(Glibc)
import Glibc
#endif

/// The trainer's view of the processes it runs on: a world communicator, a way to stop everyone,
/// and a way to finish. A world of one (`LocalCluster`) needs no mpirun.
public protocol Cluster: AnyObject, CustomStringConvertible {
    /// The communicator of all processes.
    var world: any Collectives { get }
    /// Ends every process of the job after printing this rank and the reason.
    func abort(code: Int32, message: String) -> Never
    /// Releases the communication layer; call once at the end.
    func finalize() throws
    /// How long a rank waits in one collective before it aborts the job.
    var timeout: CollectiveTimeout { get }
    /// Checks that every rank runs the same identity (binary, command, configuration); call it
    /// before any other collective. Throws `RunDisagreement` on every rank otherwise.
    func requireSameRun(_ identity: RunIdentity) throws
}

extension Cluster {
    /// This process's rank in the world.
    public var rank: Int { world.rank }
    /// Number of processes in the world.
    public var size: Int { world.size }
    /// Whether this process is rank zero (which prints and writes reports).
    public var isRoot: Bool { world.rank == 0 }

    /// Prints a line on rank zero only.
    public func log0(_ line: String) {
        guard isRoot else { return }
        StandardOutput.line(line)
    }
}

/// A single process, no MPI.
public final class LocalCluster: Cluster {
    public let world: any Collectives = LocalCommunicator()
    public let timeout = CollectiveTimeout()

    public init() {}

    public func abort(code: Int32, message: String) -> Never {
        printToStandardError("mtaf-mpi: aborting: \(message)")
        exit(code)
    }

    public func finalize() throws {}

    public func requireSameRun(_ identity: RunIdentity) throws {}

    public var description: String { "local (1 process, no MPI)" }
}

/// Processes started by mpirun (or srun), one MPI world.
public final class MPICluster: Cluster {
    public let runtime: MPIRuntime
    public var world: any Collectives { runtime.world }
    public var timeout: CollectiveTimeout { runtime.world.timeout }

    public init(threadLevel: ThreadLevel = .funneled, checked: Bool = Communicator.checkedByDefault) throws {
        runtime = try MPIRuntime.initialize(threadLevel: threadLevel, checked: checked)
    }

    public func abort(code: Int32, message: String) -> Never {
        runtime.abort(code: code, message: message)
    }

    public func finalize() throws { try runtime.finalize() }

    public func requireSameRun(_ identity: RunIdentity) throws { try runtime.world.requireSameRun(identity) }

    public var description: String {
        "MPI world of \(runtime.world.size) (thread level \(runtime.grantedThreadLevel) granted, "
            + "\(runtime.requestedThreadLevel) requested; checked collectives \(runtime.world.checked ? "on" : "off"))"
    }
}

/// Chooses the cluster from the environment.
public enum ClusterLauncher {
    /// Environment variables set by the launchers we support (Open MPI's mpirun, PMIx and PMI
    /// launchers such as Slurm's srun, MPICH's Hydra).
    public static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"]

    /// Whether this process was started by an MPI launcher.
    public static var launchedByMPI: Bool {
        launcherVariables.contains { getenv($0) != nil }
    }

    /// An MPI cluster when started by mpirun/srun, else a local world of one. Either way a fatal
    /// signal ends the process (see `FatalSignals`).
    public static func fromEnvironment(threadLevel: ThreadLevel = .funneled) throws -> any Cluster {
        guard launchedByMPI else {
            var name = [UInt8](repeating: 0, count: 256)
            gethostname(&name, name.count - 1)
            FatalSignals.install(rank: 0, size: 1, host: String(decoding: name.prefix { $0 != 0 }, as: UTF8.self))
            return LocalCluster()
        }
        return try MPICluster(threadLevel: threadLevel)
    }
}
