// The collective timeout's settings (DIST.TIMEOUT_S) and what a rank needs to report a timeout;
// `Communicator+Waiting.swift` enforces it.

/// How long a rank waits in one collective before it aborts the job (DIST.TIMEOUT_S); one per
/// process, shared by the world and every communicator split from it.
public final class CollectiveTimeout: @unchecked Sendable {
    /// DIST.TIMEOUT_S's default, in seconds.
    public static let defaultSeconds = 600.0
    /// The long allowance is this many times `seconds`.
    public static let longFactor = 6.0

    /// Seconds one collective may wait; 0 waits forever.
    public var seconds = defaultSeconds
    /// Whether the long allowance applies: set around waits that are legitimately long (setup
    /// and the first iteration, snapshots, evaluation).
    public var long = false

    /// The world duplicate for "which collective do you wait in?" queries (nil: no MPI).
    let control: CommunicatorHandle?
    let worldRank: Int
    let worldSize: Int
    let host: String
    /// The collective this rank waits in now (communicator id, sequence number).
    var waiting: (communicator: Int64, sequence: Int64)?
    private var splits: Int64 = 0

    /// A world of one (no MPI): nothing ever waits.
    public convenience init() {
        self.init(control: nil, worldRank: 0, worldSize: 1, host: "")
    }

    init(control: CommunicatorHandle?, worldRank: Int, worldSize: Int, host: String) {
        self.control = control
        self.worldRank = worldRank
        self.worldSize = worldSize
        self.host = host
    }

    /// The seconds a collective may wait now (infinity: no limit).
    var limit: Double {
        seconds <= 0 ? .infinity : long ? seconds * Self.longFactor : seconds
    }

    /// A number for the next split (the same on every rank: ranks split in the same order).
    func nextSplit() -> Int64 {
        splits += 1
        return splits
    }

    static let queryTag: Int32 = 31_001
    static let replyTag: Int32 = 31_002
    /// How long a rank that gave up waits for the others' answers.
    static let answerSeconds = 5.0
}
