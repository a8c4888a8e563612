// N ranks as N threads of one process (architecture §3.11): the rendezvous behind
// `ThreadCommunicator`. In every collective each rank deposits its signature and a copy of its
// contribution, then collects every rank's deposits and computes its own result from them
// (reductions in rank order). One lock and one condition serve the whole job (tests, not speed).

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

/// The ranks of one communicator (the world, or a group split from it) and their collectives in
/// flight. A rank's k-th collective on the group matches every other rank's k-th (MPI's rule), so
/// a rank may start one (a nonblocking allreduce) and call others before it completes.
final class ThreadGroup: @unchecked Sendable {
    let world: ThreadWorld
    /// The world rank of each rank of this group.
    let worldRanks: [Int]
    /// One collective: every rank's deposit, and how many ranks have collected them.
    private final class Round {
        var deposits: [ThreadDeposit?]
        var collected = 0
        init(size: Int) { deposits = Array(repeating: nil, count: size) }
    }
    /// Collectives in flight, by sequence number (removed once every rank collected).
    private var rounds: [Int: Round] = [:]
    /// Groups made by `split`, by (the split's sequence number, color): the first member to ask creates it.
    private var splits: [[Int]: ThreadGroup] = [:]

    init(world: ThreadWorld, worldRanks: [Int]) {
        self.world = world
        self.worldRanks = worldRanks
    }

    var size: Int { worldRanks.count }

    /// Leaves `rank`'s contribution to collective `sequence` (never blocks).
    func deposit(_ deposit: ThreadDeposit, rank: Int, sequence: Int) {
        pthread_mutex_lock(world.lock)
        defer { pthread_mutex_unlock(world.lock) }
        let round = rounds[sequence] ?? Round(size: size)
        rounds[sequence] = round
        round.deposits[rank] = deposit
        pthread_cond_broadcast(world.changed)
    }

    /// Whether every rank has deposited into collective `sequence`.
    func isComplete(sequence: Int) -> Bool {
        pthread_mutex_lock(world.lock)
        defer { pthread_mutex_unlock(world.lock) }
        return rounds[sequence]?.deposits.allSatisfy { $0 != nil } ?? false
    }

    /// Every rank's deposit into collective `sequence`, in rank order, once all are there.
    ///
    /// - Throws: `MPIError.aborted` when the job ends, or when this rank waited longer than the
    ///   world's timeout (naming the ranks that did not arrive).
    func collect(rank: Int, sequence: Int, call: String) throws -> [ThreadDeposit] {
        pthread_mutex_lock(world.lock)
        defer { pthread_mutex_unlock(world.lock) }
        var deadline = Self.deadline(after: world.timeoutSeconds)
        while true {
            if let reason = world.abortReason {
                throw MPIError.aborted(call: call, rank: worldRanks[rank], details: reason)
            }
            let round = rounds[sequence]!
            if round.deposits.allSatisfy({ $0 != nil }) {
                round.collected += 1
                if round.collected == size { rounds[sequence] = nil }
                return round.deposits.map { $0! }
            }
            if deadline == nil {
                pthread_cond_wait(world.changed, world.lock)
            } else if pthread_cond_timedwait(world.changed, world.lock, &deadline!) == ETIMEDOUT,
                      !round.deposits.allSatisfy({ $0 != nil }) {
                let missing = round.deposits.indices.filter { round.deposits[$0] == nil }.map { String(worldRanks[$0]) }
                let reason = "rank \(worldRanks[rank]) waited \(world.timeoutSeconds) s in \(call) for rank(s) "
                    + missing.joined(separator: ", ")
                world.abortReason = world.abortReason ?? reason
                pthread_cond_broadcast(world.changed)
                throw MPIError.aborted(call: call, rank: worldRanks[rank], details: reason)
            }
        }
    }

    /// The group of `color` made by the split numbered `sequence` (created on first request).
    func splitGroup(sequence: Int, color: Int, members: [Int]) -> ThreadGroup {
        pthread_mutex_lock(world.lock)
        defer { pthread_mutex_unlock(world.lock) }
        if let group = splits[[sequence, color]] { return group }
        let group = ThreadGroup(world: world, worldRanks: members.map { worldRanks[$0] })
        splits[[sequence, color]] = group
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
