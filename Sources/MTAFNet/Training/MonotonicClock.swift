// A monotonic wall clock for timing communication (architecture §5.5: the communication share of a step).

#if canImport(Glibc)
import Glibc
#endif

/// Seconds on CLOCK_MONOTONIC.
enum MonotonicClock {
    static func seconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
