// The project's parallel loops for the work outside the GEMM (im2col/col2im, BatchNorm, ReLU,
// resize, softmax, losses, max-pool, bias gradients), on the threads of `ParallelWorkers`. The
// GEMM has its own pool (Sources/CGEMM).
//
// Results never depend on the thread count. An op cuts its problem into chunks of its own choice
// (a channel, a plane, a block of pixels, a run of elements) whose number and bounds follow from
// the sizes alone; each chunk is computed by one thread with the same float operations in the same
// order, whichever thread that is; a sum over the problem (`parallelSum`) is formed per chunk and
// the chunk sums are then added in chunk order. The threads only decide who computes which chunk.

import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Work (floats touched) below which a loop stays on the calling thread: waking workers would
/// cost more than it saves.
let parallelMinimumWork = 1 << 15

/// Runs `body` over the chunks `0..<chunks`, handed to it as contiguous runs of chunk indices,
/// on up to `blasThreads` threads when `work` (floats touched) is large enough, else on the
/// calling thread as one run.
///
/// - Parameters:
///   - chunks: the number of chunks (the op's own unit of work).
///   - work: floats touched by the whole loop, for the single-thread threshold.
///   - body: computes every chunk of its run; a chunk's result must not depend on the run it
///     came in (runs differ with the thread count). Runs touch disjoint memory. `body` may be
///     called from several threads at once, or (pool busy) from the calling thread only.
func parallelFor(chunks: Int, work: Int, _ body: (Range<Int>) -> Void) {
    let threads = min(blasThreads, chunks)
    if threads <= 1 || work < parallelMinimumWork {
        if chunks > 0 { body(0..<chunks) }
        return
    }
    // Runs of about a quarter of an even share, taken in turn from a shared counter, so that a
    // thread the OS holds back (other processes on the cores) leaves its share to the others.
    let runLength = max(1, chunks / (4 * threads))
    let next = Atomic<Int>(0)
    // `run` returns only when every thread is done.
    ParallelWorkers.shared.run(threads) { _ in
        while true {
            let start = next.wrappingAdd(runLength, ordering: .relaxed).oldValue
            if start >= chunks { return }
            body(start..<min(chunks, start + runLength))
        }
    }
}

/// Σ of per-chunk partial sums, added in chunk order (so the same for any thread count):
/// `body` runs as in `parallelFor` and writes the partial sum of each chunk `i` of its run to
/// `partials[i]`.
///
/// - Parameters:
///   - chunks: the number of chunks.
///   - work: floats touched by the whole loop, for the single-thread threshold.
///   - body: computes the chunks of its run and stores their sums at their (absolute) indices.
/// - Returns: `((0 + partials[0]) + partials[1]) + …` (0 without chunks).
func parallelSum(chunks: Int, work: Int,
                 _ body: (Range<Int>, UnsafeMutablePointer<Double>) -> Void) -> Double {
    if chunks == 0 { return 0 }
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks) { buffer in
        nonisolated(unsafe) let partials = buffer.baseAddress!
        parallelFor(chunks: chunks, work: work) { run in body(run, partials) }
        var total = 0.0
        for i in 0..<chunks { total += partials[i] }
        return total
    }
}

/// Bytes per chunk of `parallelZero` (1 MiB).
private let zeroChunkBytes = 1 << 20

/// Zeroes `bytes` bytes at `raw`, on every compute thread when there are many: the zeroing of new
/// activations was the largest serial piece of the training step (architecture §5.2), and
/// gradient buffers are zeroed every iteration.
func parallelZero(_ raw: UnsafeMutableRawPointer, bytes: Int) {
    let chunks = (bytes + zeroChunkBytes - 1) / zeroChunkBytes
    parallelFor(chunks: chunks, work: bytes / MemoryLayout<Float>.stride) { run in
        let start = run.lowerBound * zeroChunkBytes, end = min(bytes, run.upperBound * zeroChunkBytes)
        memset(raw + start, 0, end - start)
    }
}
