// N ranks as N threads of one process (architecture §3.5): the rendezvous behind
// `ThreadCommunicator`. Every collective is two meetings of the group's ranks: each rank deposits
// a copy of its contribution and its signature, all meet, each computes its own result from the
// deposits (reductions in rank order), all meet again so that no deposit is overwritten while
// another rank still reads it. One lock and one condition serve the whole job (tests, not speed).

#if canImport(Glibc)
import Glibc
#endif

/// The job of a thread world: the ranks' threads, the lock every group shares, and how the job
/// ended (an abort by one rank ends every rank's wait).
public final class ThreadWorld: @unchecked Sendable {
    /// Number of ranks.
    public let size: Int
    /// Seconds a rank waits in one collective before the job fails (0: forever).
    public let timeoutSeconds: Double
    let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Why the job ends (set once, by the first rank that aborts or times out).
    var abortReason: String?
    /// How each rank's thread ended, when it ended by `ThreadCluster.abort`.
    var aborted: [Int: String] = [:]

    /// - Parameters:
    ///   - size: the number of ranks, ≥ 1.
    ///   - timeoutSeconds: the longest wait in one collective (a stuck test fails, it does not hang).
    public init(size: Int, timeoutSeconds: Double = 120) {
        precondition(size >= 1, "ThreadWorld: size \(size) < 1")
        self.size = size
        self.timeoutSeconds = timeoutSeconds
        pthread_mutex_init(lock, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        changed.deallocate()
    }

    /// How one rank's thread ended.
    public enum Outcome<Value> {
        case returned(Value)
        case threw(any Error)
        /// The rank called `ThreadCluster.abort` (its message).
        case aborted(String)

        /// The value, or nil when the rank threw or aborted.
        public var value: Value? {
            if case let .returned(value) = self { return value }
            return nil
        }
    }

    /// Runs `body` on `size` threads, one per rank, each with its rank's cluster, and returns how
    /// each ended, in rank order. A rank that throws ends the job: the others' collectives throw
    /// `MPIError.aborted` instead of waiting for it.
    public static func run<Value>(size: Int, timeoutSeconds: Double = 120,
                                  _ body: @escaping @Sendable (ThreadCluster) throws -> Value) -> [Outcome<Value>] {
        let world = ThreadWorld(size: size, timeoutSeconds: timeoutSeconds)
        let root = ThreadGroup(world: world, worldRanks: Array(0 ..< size))
        let slots = (0 ..< size).map { _ in OutcomeSlot<Value>() }
        var threads: [pthread_t] = []
        for rank in 0 ..< size {
            let cluster = ThreadCluster(world: world, communicator: ThreadCommunicator(group: root, rank: rank))
            let slot = slots[rank]
            let task = ThreadTask {
                do {
                    slot.outcome = .returned(try body(cluster))
                } catch {
                    slot.outcome = .threw(error)
                    world.abort(rank: rank, reason: "rank \(rank) failed: \(error)")
                }
            }
            threads.append(task.start())
        }
        for thread in threads { pthread_join(thread, nil) }
        pthread_mutex_lock(world.lock)
        let aborted = world.aborted
        pthread_mutex_unlock(world.lock)
        return (0 ..< size).map { rank in
            if let message = aborted[rank] { return .aborted(message) }
            return slots[rank].outcome ?? .aborted("rank \(rank) ended without a result")
        }
    }

    /// Ends the job: every rank waiting (or about to wait) in a collective throws.
    func abort(rank: Int, reason: String) {
        pthread_mutex_lock(lock)
        if abortReason == nil { abortReason = reason }
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
    }

    /// Records that `rank` ended by `ThreadCluster.abort` (before its thread exits).
    func recordAbort(rank: Int, message: String) {
        pthread_mutex_lock(lock)
        aborted[rank] = message
        if abortReason == nil { abortReason = "rank \(rank) aborted: \(message)" }
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(lock)
    }
}

/// Where a rank's thread leaves its outcome (read after the thread is joined).
private final class OutcomeSlot<Value>: @unchecked Sendable {
    var outcome: ThreadWorld.Outcome<Value>?
}

/// What one rank deposits for a collective: its signature (checked on every rank, as the MPI
/// communicator's checked mode does) and a copy of the values it contributes.
struct ThreadDeposit {
    var call: String
    var kind: MPIScalarKind
    /// Element counts: the one count of most calls; allgatherv's counts; alltoallv's send counts
    /// followed by its receive counts; split's color (−1: none) and key.
    var counts: [Int]
    var op: ReduceOp?
    var root: Int?
    /// A copy of the contribution, as `[T]` of the call's element type.
    var values: Any
}

/// The ranks of one communicator (the world, or a group split from it) and their meeting place.
final class ThreadGroup: @unchecked Sendable {
    let world: ThreadWorld
    /// The world rank of each rank of this group.
    let worldRanks: [Int]
    /// Meetings completed; a rank's meeting ends when this moves past the one it joined.
    private var generation = 0
    /// Ranks present in the current meeting.
    private var present: [Bool]
    private var deposits: [ThreadDeposit?]
    /// Groups made by `split`, by (the split's meeting, color): the first member to ask creates it.
    private var splits: [[Int]: ThreadGroup] = [:]

    init(world: ThreadWorld, worldRanks: [Int]) {
        self.world = world
        self.worldRanks = worldRanks
        present = Array(repeating: false, count: worldRanks.count)
        deposits = Array(repeating: nil, count: worldRanks.count)
    }

    var size: Int { worldRanks.count }

    /// One collective: deposits, meets, calls `finish` with every rank's deposit (in rank order)
    /// and the meeting's number, meets again, returns what `finish` returned.
    func exchange<R>(rank: Int, _ deposit: ThreadDeposit, _ finish: ([ThreadDeposit], Int) throws -> R) throws -> R {
        pthread_mutex_lock(world.lock)
        deposits[rank] = deposit
        pthread_mutex_unlock(world.lock)
        let meeting = try meet(rank: rank, call: deposit.call)
        pthread_mutex_lock(world.lock)
        let all = deposits.map { $0! }
        pthread_mutex_unlock(world.lock)
        let result = Result { try finish(all, meeting) }
        _ = try meet(rank: rank, call: deposit.call)
        return try result.get()
    }

    /// Waits until every rank of the group arrived; returns the meeting's number.
    func meet(rank: Int, call: String) throws -> Int {
        pthread_mutex_lock(world.lock)
        defer { pthread_mutex_unlock(world.lock) }
        if let reason = world.abortReason { throw MPIError.aborted(call: call, rank: worldRanks[rank], details: reason) }
        let joined = generation
        present[rank] = true
        if !present.contains(false) {
            present = Array(repeating: false, count: size)
            generation += 1
            pthread_cond_broadcast(world.changed)
            return joined
        }
        let deadline = Self.deadline(after: world.timeoutSeconds)
        while generation == joined {
            if let reason = world.abortReason {
                throw MPIError.aborted(call: call, rank: worldRanks[rank], details: reason)
            }
            if var deadline {
                if pthread_cond_timedwait(world.changed, world.lock, &deadline) == ETIMEDOUT && generation == joined {
                    let missing = present.indices.filter { !present[$0] }.map { String(worldRanks[$0]) }
                    let reason = "rank \(worldRanks[rank]) waited \(world.timeoutSeconds) s in \(call) for rank(s) "
                        + missing.joined(separator: ", ")
                    world.abortReason = world.abortReason ?? reason
                    pthread_cond_broadcast(world.changed)
                    throw MPIError.aborted(call: call, rank: worldRanks[rank], details: reason)
                }
            } else {
                pthread_cond_wait(world.changed, world.lock)
            }
        }
        return joined
    }

    /// The group of `color` made by the split that met as `meeting` (created on first request).
    func splitGroup(meeting: Int, color: Int, members: [Int]) -> ThreadGroup {
        pthread_mutex_lock(world.lock)
        defer { pthread_mutex_unlock(world.lock) }
        if let group = splits[[meeting, color]] { return group }
        let group = ThreadGroup(world: world, worldRanks: members.map { worldRanks[$0] })
        splits[[meeting, color]] = group
        return group
    }

    private static func deadline(after seconds: Double) -> timespec? {
        guard seconds > 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let total = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + seconds
        return timespec(tv_sec: Int(total), tv_nsec: Int((total - total.rounded(.down)) * 1e9))
    }
}

/// A pthread running one closure (Foundation's Thread cannot be joined).
private final class ThreadTask {
    let body: () -> Void

    init(_ body: @escaping () -> Void) { self.body = body }

    func start() -> pthread_t {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            let task = Unmanaged<ThreadTask>.fromOpaque(raw!).takeRetainedValue()
            task.body()
            return nil
        }, context)
        precondition(status == 0, "ThreadWorld: pthread_create failed (\(status))")
        return thread
    }
}
