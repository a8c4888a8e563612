import ArgumentParser
import Foundation
import MTAFNet

/// Timing helpers shared by the suites.
enum BenchTiming {
    /// Minimum wall time of `body` over `reps` runs after one warm-up, in milliseconds.
    static func minMs(reps: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<reps {
            let start = now()
            body()
            best = min(best, (now() - start) * 1e3)
        }
        return best
    }

    /// What `minMs` measures.
    enum Clock: String, ExpressibleByArgument, Sendable {
        /// Elapsed time (CLOCK_MONOTONIC).
        case wall
        /// CPU time of the whole process (CLOCK_PROCESS_CPUTIME_ID): time spent descheduled by
        /// other jobs does not count; with several threads it sums them (spinning included).
        case cpu
    }

    nonisolated(unsafe) static var clock: Clock = .wall

    /// The current reading of `clock`, in seconds.
    static func now() -> Double {
        var t = timespec()
        clock_gettime(clock == .wall ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// GFLOP/s of a square `size`³ sgemm.
    static func sgemmRate(size: Int, reps: Int) -> Double {
        let a = BenchBuffer(size * size), b = BenchBuffer(size * size), c = BenchBuffer(size * size)
        let ms = minMs(reps: reps) {
            sgemm(transA: false, transB: false, m: size, n: size, k: size, alpha: 1,
                  a: a.pointer, lda: size, b: b.pointer, ldb: size, beta: 0, c: c.pointer, ldc: size)
        }
        return 2 * Double(size * size * size) / (ms / 1000) / 1e9
    }
}
