// Graceful stops: SIGTERM, SIGINT and SIGUSR1 (what Slurm and mpirun send before a time limit,
// a preemption or a requeue) only set a flag here; the trainer reads it at each iteration
// boundary, all ranks agree on it, and the run ends with a snapshot of that iteration.

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A request to stop training at the next iteration boundary. The process-wide one,
/// `StopRequest.signals`, is set by the handlers `installSignalHandlers()` installs; tests make
/// their own and call `request(signal:)`.
public final class StopRequest: Sendable {
    /// The first signal that asked to stop (0: none yet).
    private let first = Atomic<Int32>(0)
    /// How many requests arrived.
    private let deliveries = Atomic<Int>(0)

    public init() {}

    /// Records a request. Async-signal-safe: two lock-free atomic operations.
    public func request(signal: Int32) {
        _ = first.compareExchange(expected: 0, desired: signal, ordering: .relaxed)
        deliveries.add(1, ordering: .relaxed)
    }

    /// The first signal that asked to stop, nil when none did.
    public var signal: Int32? {
        let value = first.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// How many requests arrived (a second one during the final snapshot changes nothing).
    public var count: Int { deliveries.load(ordering: .relaxed) }

    /// The signals that ask a run to stop gracefully.
    public static let handledSignals: [Int32] = [SIGTERM, SIGINT, SIGUSR1]

    /// The process's request, set by the signal handlers.
    public static let signals = StopRequest()

    /// Installs handlers for `handledSignals` that record each delivery in `signals` and write
    /// one line to standard error on the first and second delivery. SA_RESTART keeps the system
    /// calls a signal interrupts (snapshot writes, MPI's sockets) running. Later deliveries of
    /// the same signals change nothing: the run still ends at the iteration boundary, after its
    /// snapshot (SIGKILL ends it at once).
    ///
    /// - Returns: `signals`.
    @discardableResult
    public static func installSignalHandlers() -> StopRequest {
        let request = signals   // initialized here, before any handler can touch it
        for number in handledSignals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = stopSignalHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        return request
    }

    /// The conventional name of a signal ("SIGTERM"), or "signal N".
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGUSR1: "SIGUSR1"
        default: "signal \(signal)"
        }
    }
}

/// The handler: an atomic update and, on the first two deliveries, `write(2)` of a constant
/// line (both async-signal-safe). It keeps errno for the code it interrupted.
private let stopSignalHandler: @convention(c) (Int32) -> Void = { number in
    let savedErrno = errno
    defer { errno = savedErrno }
    StopRequest.signals.request(signal: number)
    let line: StaticString
    switch StopRequest.signals.count {
    case 1:
        switch number {
        case SIGTERM: line = "mtaf-mpi: SIGTERM: stopping after this iteration, with a snapshot\n"
        case SIGINT: line = "mtaf-mpi: SIGINT: stopping after this iteration, with a snapshot\n"
        default: line = "mtaf-mpi: SIGUSR1: stopping after this iteration, with a snapshot\n"
        }
    case 2: line = "mtaf-mpi: already stopping: the snapshot is finished first (SIGKILL ends the process at once)\n"
    default: return
    }
    _ = write(2, line.utf8Start, line.utf8CodeUnitCount)
}
