// A monotonic wall clock: collective deadlines (Communicator+Waiting.swift) and the communication
// share of a step (architecture §5.5).

#if canImport(Glibc)
import Glibc
#endif

/// Seconds on CLOCK_MONOTONIC.
public enum MonotonicClock {
    public static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
