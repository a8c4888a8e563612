// How a rank waits in a collective. Open MPI's blocking collectives busy-poll: a rank that waits
// for a stopped or wedged peer spins at 100 % CPU forever. Here every collective starts
// nonblocking and completes in `complete`: MPI_Testall, polling without sleeping for the first
// 0.2 s (collectives and large transfers stay fast), then sleeping between polls with a backoff up
// to 1 ms, and giving up after the timeout. A rank that gives up asks the other members, over a duplicate of
// the world, which collective they wait in (ranks answer such queries while they wait), and
// aborts the job naming the collective and the ranks that did not arrive.

#if canImport(Glibc)
import Glibc
#endif

extension Communicator {
    /// How long `complete` polls without sleeping.
    static let spinSeconds = 0.2

    /// Waits until every request completed, sleeping between polls; aborts the job when this
    /// takes longer than `timeout.limit`.
    ///
    /// - Parameter call: the collective's name, for the timeout report.
    func complete(_ requests: [RequestHandle?], _ call: String) throws {
        sequence += 1
        var pending = requests
        if try MPICalls.testAll(&pending, rank: rank) { return }
        timeout.waiting = (id, sequence)
        defer { timeout.waiting = nil }
        let start = MonotonicClock.seconds()
        var pause: UInt32 = 1
        while try !MPICalls.testAll(&pending, rank: rank) {
            // Open MPI moves a large message only inside MPI calls (no progress thread): for the
            // first `spinSeconds` poll without sleeping (yielding the core to anyone who needs
            // it), so that a gradient allreduce of hundreds of MB over TCP is not paced by our
            // sleeps; only a wait longer than that is a wait for a late rank, polled with backoff.
            if MonotonicClock.seconds() - start < Self.spinSeconds {
                sched_yield()
                continue
            }
            try answerQueries()
            let waited = MonotonicClock.seconds() - start
            if waited > timeout.limit { giveUp(call, waited: waited) }
            usleep(pause)
            pause = min(pause * 2, 1000)
        }
    }

    /// Answers every pending query with the collective this rank waits in.
    private func answerQueries() throws {
        guard let control = timeout.control, let waiting = timeout.waiting else { return }
        while let source = try MPICalls.probe(tag: CollectiveTimeout.queryTag, comm: control, rank: rank) {
            var query: [Int64] = [0, 0]
            try MPICalls.receive(&query, source: source, tag: CollectiveTimeout.queryTag, comm: control, rank: rank)
            try MPICalls.send([waiting.communicator, waiting.sequence], destination: source,
                              tag: CollectiveTimeout.replyTag, comm: control, rank: rank)
        }
    }

    /// Asks the other members which collective they wait in, then aborts the job with the
    /// collective, the wait and the ranks that did not arrive.
    private func giveUp(_ call: String, waited: Double) -> Never {
        let peers = worldRanks.filter { $0 != timeout.worldRank }
        var report = ""
        if let control = timeout.control {
            // Buffers MPI writes into until the job ends (never freed: the job aborts below).
            let query = UnsafeMutableBufferPointer<Int64>.allocate(capacity: 2)
            _ = query.initialize(from: [id, sequence])
            let answers = UnsafeMutableBufferPointer<Int64>.allocate(capacity: 2 * peers.count)
            answers.initialize(repeating: -1)
            var receives: [RequestHandle?] = []
            for (i, peer) in peers.enumerated() {
                _ = try? MPICalls.isend(UnsafeRawPointer(query.baseAddress), count: 2, destination: Int32(peer),
                                        tag: CollectiveTimeout.queryTag, type: MPIScalarKind.int64.handle,
                                        comm: control, rank: rank)
                receives.append(try? MPICalls.irecv(UnsafeMutableRawPointer(answers.baseAddress! + 2 * i), count: 2,
                                                    source: Int32(peer), tag: CollectiveTimeout.replyTag,
                                                    type: MPIScalarKind.int64.handle, comm: control, rank: rank))
            }
            let deadline = MonotonicClock.seconds() + CollectiveTimeout.answerSeconds
            while MonotonicClock.seconds() < deadline {
                try? answerQueries()
                for i in receives.indices where receives[i] != nil {
                    var one = [receives[i]]
                    if (try? MPICalls.testAll(&one, rank: rank)) == true { receives[i] = nil }
                }
                if receives.allSatisfy({ $0 == nil }) { break }
                usleep(1000)
            }
            var absent: [Int] = []
            var elsewhere: [String] = []
            for (i, peer) in peers.enumerated() {
                let (communicator, number) = (answers[2 * i], answers[2 * i + 1])
                if communicator < 0 {
                    absent.append(peer)
                } else if communicator != id || number != sequence {
                    elsewhere.append("rank \(peer) waits in collective #\(number) of "
                        + (communicator == 0 ? "the world" : "communicator \(communicator)"))
                }
            }
            if !absent.isEmpty {
                report += "; not arrived: rank\(absent.count == 1 ? "" : "s") "
                    + absent.map(String.init).joined(separator: ", ")
                    + " (no answer within \(Int(CollectiveTimeout.answerSeconds)) s: stopped, wedged, or computing "
                    + "for longer than the timeout)"
            }
            if !elsewhere.isEmpty { report += "; " + elsewhere.joined(separator: "; ") }
        }
        let scope = id == 0 ? "the world" : "the group of world ranks \(worldRanks.map(String.init).joined(separator: ", "))"
        let allowance = timeout.long ? " (DIST.TIMEOUT_S × \(Int(CollectiveTimeout.longFactor)), the allowance "
            + "for setup, the first iteration, snapshots and evaluation)" : " (DIST.TIMEOUT_S)"
        printToStandardError("mtaf-mpi: rank \(timeout.worldRank) of \(timeout.worldSize) on \(timeout.host) aborts the job: "
            + "\(call) (collective #\(sequence) of \(scope)) did not complete within \(formatSeconds(timeout.limit)) s"
            + allowance + ", waited \(Double(Int(waited * 10)) / 10) s" + report)
        MPICalls.abort(MPICalls.world, code: 1)
    }

    /// "600" for whole seconds, else the value as written.
    private func formatSeconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
