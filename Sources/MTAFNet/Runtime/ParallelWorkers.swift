// The worker threads behind `parallelFor`: started on first need, kept for the process's life,
// asleep on a condition variable between jobs. A job allocates nothing: Dispatch's
// `concurrentPerform` allocated on every call, on whichever thread ran it, and those small blocks
// (timing-dependent) landed between the activation tensors of the glibc heap
// (ActivationMemory.keepFreedPages) and fragmented it. Measured on the ResNet-101 training step
// at 320×640 (`bench model --measure step`), peak RSS: 1987 MiB on 1 thread; on 2 threads
// 2146 MiB with Dispatch before BatchNorm ran in parallel, 2382-2577 MiB after, 1987 MiB here.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pool of threads that run one job at a time (architecture §5.2).
final class ParallelWorkers: @unchecked Sendable {
    /// The process's pool.
    static let shared = ParallelWorkers()

    /// Held by the thread whose job the pool runs.
    private let jobLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    // Everything below is guarded by `lock`.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let finished = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Worker threads started (indices 1…started; the caller is index 0).
    private var started = 0
    /// Counts jobs; a worker runs each generation once.
    private var generation = 0
    /// Indices below this take part in the current job.
    private var participants = 0
    /// Workers still inside the current job.
    private var running = 0
    /// The current job (nil between jobs).
    private var job: ((Int) -> Void)?

    private init() {
        pthread_mutex_init(jobLock, nil)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(finished, nil)
    }

    /// Calls `body(0)` on the calling thread and `body(1)`…`body(count − 1)` on workers, and
    /// returns when every call has returned. While the pool runs another job (another thread's,
    /// or a job calling `run` again from inside), the calling thread makes every call itself,
    /// in index order.
    ///
    /// - Parameters:
    ///   - count: the number of threads, ≥ 1.
    ///   - body: called once per thread index.
    func run(_ count: Int, _ body: (Int) -> Void) {
        precondition(count >= 1, "ParallelWorkers: count \(count) < 1")
        guard count > 1, pthread_mutex_trylock(jobLock) == 0 else {
            for index in 0..<count { body(index) }
            return
        }
        defer { pthread_mutex_unlock(jobLock) }
        withoutActuallyEscaping(body) { body in
            pthread_mutex_lock(lock)
            while started < count - 1 { startWorker(index: started + 1) }
            job = body
            participants = count
            running = count - 1
            generation &+= 1
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(lock)
            body(0)
            pthread_mutex_lock(lock)
            while running > 0 { pthread_cond_wait(finished, lock) }
            job = nil
            pthread_mutex_unlock(lock)
        }
    }

    /// Starts worker `index` (called with `lock` held; the worker waits for it).
    private func startWorker(index: Int) {
        let context = Unmanaged.passRetained(WorkerContext(pool: self, index: index)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<WorkerContext>.fromOpaque(raw!).takeRetainedValue()
            context.pool.work(index: context.index)
        }, context)
        precondition(status == 0, "ParallelWorkers: pthread_create failed (\(status))")
        pthread_detach(thread)
        started = index
    }

    /// A worker's loop: wait for a new generation, run it if it takes part, report back.
    private func work(index: Int) -> Never {
        var seen = 0
        pthread_mutex_lock(lock)
        while true {
            while generation == seen { pthread_cond_wait(wake, lock) }
            seen = generation
            guard index < participants, let job else { continue }
            pthread_mutex_unlock(lock)
            job(index)
            pthread_mutex_lock(lock)
            running -= 1
            if running == 0 { pthread_cond_signal(finished) }
        }
    }
}

/// What a new worker thread needs: its pool and its index.
private final class WorkerContext {
    let pool: ParallelWorkers
    let index: Int

    init(pool: ParallelWorkers, index: Int) {
        self.pool = pool
        self.index = index
    }
}
