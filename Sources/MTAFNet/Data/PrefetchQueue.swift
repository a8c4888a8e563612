// PrefetchQueue: the bounded queue between a BatchLoader's decoding thread and its consumer.

import Dispatch
import Synchronization

/// A bounded queue between the decoding thread and the consumer.
final class PrefetchQueue: Sendable {
    private struct State {
        var items: [Result<DataBatch?, any Error>] = []
        var stopped = false
    }

    private let state = Mutex(State())
    /// Counts free places; the producer waits on it before decoding a batch.
    private let slots: DispatchSemaphore
    /// Counts queued results; the consumer waits on it.
    private let filled = DispatchSemaphore(value: 0)

    init(capacity: Int) {
        // libdispatch traps when a semaphore is freed below its initial value, which a stopped
        // queue may be: start at 0 and signal the capacity instead.
        slots = DispatchSemaphore(value: 0)
        for _ in 0..<capacity { slots.signal() }
    }

    /// Waits for a free place; false once the consumer has stopped.
    func waitForSlot() -> Bool {
        slots.wait()
        return !state.withLock { $0.stopped }
    }

    /// Queues a result.
    func push(_ result: Result<DataBatch?, any Error>) {
        state.withLock { $0.items.append(result) }
        filled.signal()
    }

    /// Takes the oldest result, waiting for one.
    func pop() -> Result<DataBatch?, any Error> {
        filled.wait()
        let result = state.withLock { $0.items.removeFirst() }
        slots.signal()
        return result
    }

    /// Tells the producer to finish (it exits at its next free place).
    func stop() {
        state.withLock { $0.stopped = true }
        slots.signal()
    }
}
