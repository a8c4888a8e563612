import ArgumentParser
import Dispatch
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi bench`: speed measurements of our kernels against the machine's sgemm rate.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the convolution kernels (suite 'ops') against a square sgemm.",
            discussion: """
                Measures the sgemm rate on a 2048³ GEMM first, then every convolution shape of \
                DeepLab-v2 ResNet-101 at a 320×640 input (batch 1), the ASPP classifier (also as \
                four plain convolutions) and the discriminator's 4×4/2 convolutions. Times are the \
                minimum over --reps runs after one warm-up; GFLOP/s counts 2·Cout·Cin·KH·KW·Ho·Wo \
                per pass.
                """)

        /// What to measure; later suites (the whole model) add cases here.
        enum Suite: String, ExpressibleByArgument, CaseIterable {
            case ops
        }

        @Argument(help: "The suite to run (ops).")
        var suite: Suite = .ops

        @Flag(name: .long, help: "Print JSON instead of a table.")
        var json = false

        @Option(name: .long, help: "Timed repetitions per measurement; the minimum is reported.")
        var reps = 3

        @Option(name: .long, help: "BLAS and kernel threads (default: all cores).")
        var threads: Int?

        @Option(name: .long, help: "Only run the cases whose name contains this text.")
        var only: String?

        @Option(name: .long, help: "wall, or cpu (process CPU time: robust on a busy machine with --threads 1).")
        var clock: BenchTiming.Clock = .wall

        func validate() throws {
            if reps < 1 { throw ValidationError("--reps must be at least 1.") }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1.") }
        }

        func run() throws {
            let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
            setBLASThreads(threadCount)
            BenchTiming.clock = clock
            let sgemmRate = BenchTiming.sgemmRate(size: 2048, reps: reps)
            var report = BenchReport(suite: suite.rawValue, threads: threadCount, reps: reps,
                                     clock: clock.rawValue, sgemmGFlops: sgemmRate, rows: [])
            switch suite {
            case .ops:
                report.rows = BenchOps.rows(reps: reps, only: only, progress: !json)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.table)
            }
        }
    }
}

/// The result of one `bench` run.
struct BenchReport: Codable {
    var suite: String
    var threads: Int
    var reps: Int
    var clock: String
    var sgemmGFlops: Double
    var rows: [BenchRow]

    var table: String {
        func f(_ v: Double?, _ digits: Int) -> String {
            guard let v else { return "-" }
            return String(format: "%.\(digits)f", v)
        }
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            s.count >= n ? s : (left ? s + String(repeating: " ", count: n - s.count)
                                     : String(repeating: " ", count: n - s.count) + s)
        }
        var lines = ["sgemm 2048³: \(f(sgemmGFlops, 1)) GFLOP/s (\(threads) threads, min of \(reps), \(clock) clock)", ""]
        let header = [pad("shape", 34, left: true), pad("map", 9, left: true), pad("GFLOP", 7),
                      pad("fwd ms", 9), pad("data ms", 9), pad("wgt ms", 9),
                      pad("fwd GF/s", 9), pad("data GF/s", 10), pad("wgt GF/s", 9),
                      pad("fwd%", 6), pad("data%", 6), pad("wgt%", 6)]
        lines.append(header.joined(separator: " "))
        for r in rows {
            let ratio = { (t: Double?) -> String in
                guard let t else { return "-" }
                return f(r.gflop / (t / 1000) / sgemmGFlops * 100, 0)
            }
            let rate = { (t: Double?) -> String in
                guard let t else { return "-" }
                return f(r.gflop / (t / 1000), 1)
            }
            lines.append([pad(r.name, 34, left: true), pad(r.map, 9, left: true), pad(f(r.gflop, 3), 7),
                          pad(f(r.forwardMs, 2), 9), pad(f(r.dataMs, 2), 9), pad(f(r.weightMs, 2), 9),
                          pad(rate(r.forwardMs), 9), pad(rate(r.dataMs), 10), pad(rate(r.weightMs), 9),
                          pad(ratio(r.forwardMs), 6), pad(ratio(r.dataMs), 6), pad(ratio(r.weightMs), 6)]
                .joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }
}

/// One measured kernel: nominal work and the minimum time of each pass (nil: not measured).
struct BenchRow: Codable {
    var name: String
    /// Input map as H×W.
    var map: String
    /// Nominal GFLOP per pass.
    var gflop: Double
    var forwardMs: Double?
    var dataMs: Double?
    var weightMs: Double?
}

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

/// A heap Float32 buffer filled with a deterministic pattern in [-1, 1), freed on release.
final class BenchBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ count: Int, seed: UInt32 = 1) {
        self.count = count
        pointer = .allocate(capacity: max(1, count))
        var s = seed &* 2_654_435_761 | 1
        for i in 0..<count {
            s = s &* 1_664_525 &+ 1_013_904_223
            pointer[i] = Float(s >> 8) / Float(1 << 23) - 1
        }
    }

    func zero() { pointer.update(repeating: 0, count: count) }

    deinit { pointer.deallocate() }
}
