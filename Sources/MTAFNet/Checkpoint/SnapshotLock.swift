// SnapshotLock: one trainer per TRAIN.SNAPSHOT_DIR. Two trainers on one folder would overwrite
// each other's snapshots and loss log; the lock file `train.lock` names its holder (host, PID,
// Slurm job) and carries a heartbeat the holder refreshes while it trains.

import Foundation

/// The lock of a snapshot folder, held by one training run (rank zero under mpirun) from start to
/// exit.
///
/// Taking it: a new lock file is created with `link(2)` (atomic, also on NFS). An existing lock
/// is taken over when it belongs to the same Slurm job (SLURM_JOB_ID: a requeued job continues)
/// or to a PID that no longer runs on this host (a crashed run); with `force` it is taken in any
/// case. Otherwise acquiring fails naming the folder and the holder, and says whether the lock
/// looks stale (no heartbeat for `staleAfter` seconds: a run killed on another host).
public final class SnapshotLock {
    /// Who holds a lock, as stored in the file (JSON).
    public struct Holder: Codable, Equatable, Sendable, CustomStringConvertible {
        public var host: String
        public var pid: Int32
        /// SLURM_JOB_ID of the holder's job, if it ran under Slurm.
        public var job: String?
        /// Identifies one acquisition (a PID and host can repeat).
        public var token: String
        /// Unix times of the acquisition and of the last heartbeat.
        public var started: Double
        public var heartbeat: Double

        public var description: String {
            "host \(host), PID \(pid)" + (job.map { ", Slurm job \($0)" } ?? "")
        }
    }

    /// The lock file's name in the snapshot folder.
    public static let fileName = "train.lock"
    /// A lock without a heartbeat for this long (seconds) is reported as stale.
    public static let staleAfter: Double = 1800
    /// The least time between two heartbeat writes (seconds).
    public static let heartbeatInterval: Double = 5

    /// The lock file.
    public let path: String
    public let directory: String
    private var holder: Holder
    private var held = true

    private init(directory: String, holder: Holder) {
        self.directory = directory
        self.path = directory + "/" + Self.fileName
        self.holder = holder
    }

    /// Takes the lock of a snapshot folder (which must exist).
    ///
    /// - Parameters:
    ///   - directory: TRAIN.SNAPSHOT_DIR.
    ///   - force: take a lock held by another run (`train --force`).
    ///   - environment: where SLURM_JOB_ID is read.
    ///   - now: the current Unix time.
    ///   - report: receives a line for every lock taken over (the previous holder and why).
    /// - Throws: `SnapshotLockError.held` or `.stale` naming the folder and the holder.
    public static func acquire(directory: String, force: Bool,
                               environment: [String: String] = ProcessInfo.processInfo.environment,
                               now: Double = Date().timeIntervalSince1970,
                               report: (String) -> Void) throws -> SnapshotLock {
        let mine = Holder(host: ProcessInfo.processInfo.hostName, pid: getpid(), job: environment["SLURM_JOB_ID"],
                          token: UUID().uuidString, started: now, heartbeat: now)
        let lock = SnapshotLock(directory: directory, holder: mine)
        if try AtomicFile.create(at: lock.path, contents: try encode(mine)) { return lock }
        let previous: Holder
        do {
            previous = try read(lock.path)
        } catch {
            guard force else { throw SnapshotLockError.unreadable(directory: directory, reason: "\(error)") }
            report("mtaf-mpi train: --force: replacing the unreadable lock \(lock.path)")
            try lock.write()
            return try lock.confirmed()
        }
        let age = now - previous.heartbeat
        if let job = mine.job, previous.job == job {
            report("mtaf-mpi train: taking over the lock of \(directory) from \(previous): the same Slurm job, requeued")
        } else if previous.host == mine.host, !isRunning(previous.pid) {
            report("mtaf-mpi train: the lock of \(directory) was stale: \(previous) is not running; taking it over")
        } else if force {
            report("mtaf-mpi train: --force: taking the lock of \(directory) from \(previous), last heartbeat "
                   + "\(Self.duration(age)) ago")
        } else if age > staleAfter {
            throw SnapshotLockError.stale(directory: directory, holder: previous, seconds: age)
        } else {
            throw SnapshotLockError.held(directory: directory, holder: previous, seconds: age)
        }
        try lock.write()
        return try lock.confirmed()
    }

    /// Refreshes the heartbeat (at most every `heartbeatInterval` seconds) after checking that the
    /// lock is still this run's.
    ///
    /// - Throws: `SnapshotLockError.lost` when another run took the lock (with --force).
    public func heartbeat(now: Double = Date().timeIntervalSince1970) throws {
        guard held, now - holder.heartbeat >= Self.heartbeatInterval else { return }
        try checkStillMine()
        holder.heartbeat = now
        try write()
    }

    /// Removes the lock file if it is still this run's. Safe to call more than once.
    public func release() {
        guard held else { return }
        held = false
        if let current = try? Self.read(path), current.token == holder.token { unlink(path) }
    }

    deinit { release() }

    private func checkStillMine() throws {
        let current = try Self.read(path)
        guard current.token == holder.token else {
            held = false
            throw SnapshotLockError.lost(directory: directory, holder: current)
        }
    }

    /// This lock after a takeover, checked against a run that took it at the same moment.
    private func confirmed() throws -> SnapshotLock {
        try checkStillMine()
        return self
    }

    private func write() throws {
        let bytes = try Self.encode(holder)
        try AtomicFile.write(to: path) { sink in try bytes.withUnsafeBytes { try sink($0) } }
    }

    private static func encode(_ holder: Holder) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(holder)) + [UInt8(ascii: "\n")]
    }

    private static func read(_ path: String) throws -> Holder {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SnapshotError.missing(file: path)
        }
        return try JSONDecoder().decode(Holder.self, from: data)
    }

    /// Whether a process of this host runs under `pid` (EPERM: it does, owned by someone else).
    private static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 120 ? "\(Int(seconds)) s" : seconds < 7200 ? "\(Int(seconds / 60)) min" : "\(Int(seconds / 3600)) h"
    }
}

/// Why a snapshot folder's lock was not taken, or was lost.
public enum SnapshotLockError: Error, CustomStringConvertible, Equatable {
    case held(directory: String, holder: SnapshotLock.Holder, seconds: Double)
    case stale(directory: String, holder: SnapshotLock.Holder, seconds: Double)
    case unreadable(directory: String, reason: String)
    case lost(directory: String, holder: SnapshotLock.Holder)

    public var description: String {
        switch self {
        case let .held(directory, holder, seconds):
            "\(directory) is in use by another training run (\(holder), last heartbeat \(SnapshotLock.duration(seconds)) ago, "
                + "lock file \(directory)/\(SnapshotLock.fileName)); two runs in one snapshot folder would overwrite each "
                + "other's snapshots: wait for it, train into another TRAIN.SNAPSHOT_DIR (or EXP_NAME), or, if that run "
                + "is certainly gone, take the lock with --force"
        case let .stale(directory, holder, seconds):
            "\(directory) is locked by a run that looks dead (\(holder), no heartbeat for \(SnapshotLock.duration(seconds)), "
                + "lock file \(directory)/\(SnapshotLock.fileName)); if it is no longer running, take the lock with --force"
        case let .unreadable(directory, reason):
            "\(directory)/\(SnapshotLock.fileName) is not a lock this program wrote (\(reason)); remove it or take the "
                + "lock with --force"
        case let .lost(directory, holder):
            "another run took the lock of \(directory) (\(holder), with --force); this run stops so that the two do not "
                + "overwrite each other's snapshots"
        }
    }
}
