// A fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT) must end the rank, and with it the
// job. The handler that was there before (the Swift runtime's crash report, Open MPI's
// backtrace) may return, and for a signal sent from outside the process (kill -SEGV) the rank
// would then carry on and the job exit 0. So each rank installs, after MPI_Init, a handler that
// writes which rank got which signal, runs the previous handler for a signal the process raised
// itself (a fault, abort: its crash report is kept), restores the default action and raises the
// signal again: the rank dies by it, and mpirun fails the job.
// SIGTERM, SIGINT and SIGUSR1 (graceful stops) are not handled here.

#if canImport(Glibc)
import Glibc
#endif

enum FatalSignals {
    static let signals: [(number: Int32, name: String)] = [
        (SIGSEGV, "SIGSEGV"), (SIGBUS, "SIGBUS"), (SIGILL, "SIGILL"), (SIGFPE, "SIGFPE"), (SIGABRT, "SIGABRT"),
    ]

    nonisolated(unsafe) private static var installed = false

    /// Installs the handler for every fatal signal, once per process; the messages name this rank.
    static func install(rank: Int, size: Int, host: String) {
        guard !installed else { return }
        installed = true
        for (number, name) in signals {
            let bytes = Array("mtaf-mpi: rank \(rank) of \(size) on \(host) got the fatal signal \(name) (\(number)): the rank ends, and the job fails\n".utf8)
            let message = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
            _ = message.initialize(from: bytes)
            fatalSignalMessages[Int(number)] = UnsafeBufferPointer(message)
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = onFatalSignal
            action.sa_flags = SA_SIGINFO | SA_ONSTACK
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, fatalSignalPrevious + Int(number))
        }
    }
}

/// Per signal number: the message (prepared in advance: the handler only calls write) and the
/// action installed before ours.
nonisolated(unsafe) private let fatalSignalMessages = UnsafeMutablePointer<UnsafeBufferPointer<UInt8>?>.allocate(capacity: 65)
nonisolated(unsafe) private let fatalSignalPrevious = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)

/// Async-signal-safe: write, the previous handler, sigaction and raise.
private func onFatalSignal(_ number: Int32, _ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
    if let message = fatalSignalMessages[Int(number)] { _ = write(2, message.baseAddress, message.count) }
    let previous = fatalSignalPrevious[Int(number)]
    // A signal sent by another process (kill: si_code ≤ 0, another pid) is no crash: there is
    // nothing to report, and the Swift runtime's backtracer, started for it, outlives the rank.
    let external = info.map { $0.pointee.si_code <= 0 && $0.pointee._sifields._kill.si_pid != getpid() } ?? false
    if !external, previous.sa_flags & SA_SIGINFO != 0 {
        previous.__sigaction_handler.sa_sigaction?(number, info, context)
    } else if !external, let handler = previous.__sigaction_handler.sa_handler, unsafeBitCast(handler, to: Int.self) != 1 {
        handler(number)   // 1 is SIG_IGN; nil is SIG_DFL
    }
    var defaultAction = sigaction()
    sigemptyset(&defaultAction.sa_mask)
    sigaction(number, &defaultAction, nil)
    // Blocked while this handler runs: delivered, with the default action, when it returns.
    raise(number)
}
