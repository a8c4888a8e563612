// The project's one parallel loop for elementwise and per-channel work outside the GEMM: a range
// split into contiguous chunks that run on Dispatch's worker threads. The GEMM has its own pool
// (Sources/CGEMM).

import Dispatch

/// Runs `body` over `0..<count` split into at most `blasThreads` contiguous chunks, concurrently
/// when `work` (floats touched) makes the thread hop worth it.
func parallelChunks(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
    let threads = min(blasThreads, count)
    if threads <= 1 || work < 1 << 15 {
        body(0..<count)
        return
    }
    // The chunks touch disjoint memory; `concurrentPerform` returns only when all are done.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        body((t * count / threads)..<((t + 1) * count / threads))
    }
}
