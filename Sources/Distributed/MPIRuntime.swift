#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// MPI's thread support levels (MPI_Init_thread).
public enum ThreadLevel: Int, Comparable, Sendable, CustomStringConvertible {
    case single, funneled, serialized, multiple

    public static func < (a: ThreadLevel, b: ThreadLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .single: "single"
        case .funneled: "funneled"
        case .serialized: "serialized"
        case .multiple: "multiple"
        }
    }

    var mpiValue: Int32 {
        switch self {
        case .single: MPICalls.threadSingle
        case .funneled: MPICalls.threadFunneled
        case .serialized: MPICalls.threadSerialized
        case .multiple: MPICalls.threadMultiple
        }
    }

    init(mpiValue: Int32) {
        switch mpiValue {
        case MPICalls.threadMultiple: self = .multiple
        case MPICalls.threadSerialized: self = .serialized
        case MPICalls.threadFunneled: self = .funneled
        default: self = .single
        }
    }
}

/// MPI's lifetime: `MPI_Init_thread` once, `MPI_Finalize` exactly once.
public final class MPIRuntime: @unchecked Sendable {
    private enum State { case fresh, running, finalized }
    private static let state = Mutex(State.fresh)

    /// The world communicator (MPI_COMM_WORLD with MPI_ERRORS_RETURN).
    public let world: Communicator
    /// The thread level that was asked for.
    public let requestedThreadLevel: ThreadLevel
    /// The thread level MPI granted (may be lower than requested).
    public let grantedThreadLevel: ThreadLevel
    /// The host name MPI reports for this process.
    public let processorName: String

    private init(requested: ThreadLevel, granted: ThreadLevel, checked: Bool) throws {
        requestedThreadLevel = requested
        grantedThreadLevel = granted
        processorName = MPICalls.processorName()
        let rank = try MPICalls.rank(MPICalls.world)
        let timeout = CollectiveTimeout(control: try MPICalls.duplicate(MPICalls.world, rank: rank), worldRank: rank,
                                        worldSize: try MPICalls.size(MPICalls.world, rank: rank), host: processorName)
        world = try Communicator(world: MPICalls.world, checked: checked, timeout: timeout)
        FatalSignals.install(rank: rank, size: world.size, host: processorName)
    }

    /// Initializes MPI. Fails if MPI was initialized before in this process.
    public static func initialize(threadLevel: ThreadLevel = .funneled,
                                  checked: Bool = Communicator.checkedByDefault) throws -> MPIRuntime {
        try state.withLock { state in
            guard state == .fresh, !MPICalls.isInitialized() else {
                throw MPIError.lifecycle("MPI is initialized once per process")
            }
            let granted = ThreadLevel(mpiValue: try MPICalls.initThread(required: threadLevel.mpiValue))
            state = .running
            return try MPIRuntime(requested: threadLevel, granted: granted, checked: checked)
        }
    }

    /// Finalizes MPI; later calls do nothing.
    public func finalize() throws {
        try Self.state.withLock { state in
            guard state == .running else { return }
            state = .finalized
            try MPICalls.finalize()
        }
    }

    /// Prints the rank and the reason on standard error, then ends every process of the job.
    public func abort(code: Int32, message: String) -> Never {
        printToStandardError("mtaf-mpi: rank \(world.rank) of \(world.size) on \(processorName) aborts the job: \(message)")
        MPICalls.abort(MPICalls.world, code: code)
    }
}
