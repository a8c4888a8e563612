import Foundation
import XCTest
@testable import MTAFNet

/// The lock of a snapshot folder: one holder, takeovers (requeued Slurm job, dead PID, --force),
/// stale and live holders refused with their names, a lost lock noticed by the heartbeat.
final class SnapshotLockTests: XCTestCase {
    private func folder() throws -> String { try makeTemporaryDirectory(self) }

    private func acquire(_ directory: String, force: Bool = false, job: String? = nil,
                         now: Double = Date().timeIntervalSince1970) throws -> (SnapshotLock, [String]) {
        var lines: [String] = []
        let lock = try SnapshotLock.acquire(directory: directory, force: force,
                                            environment: job.map { ["SLURM_JOB_ID": $0] } ?? [:], now: now,
                                            report: { lines.append($0) })
        return (lock, lines)
    }

    /// Writes a lock file as another run would have.
    private func plant(_ directory: String, host: String = "other-node", pid: Int32 = 4242, job: String? = nil,
                       heartbeat: Double = Date().timeIntervalSince1970) throws {
        let holder = SnapshotLock.Holder(host: host, pid: pid, job: job, token: "theirs", started: heartbeat, heartbeat: heartbeat)
        try JSONEncoder().encode(holder).write(to: URL(fileURLWithPath: directory + "/" + SnapshotLock.fileName))
    }

    private func holder(_ directory: String) throws -> SnapshotLock.Holder {
        try JSONDecoder().decode(SnapshotLock.Holder.self,
                                 from: Data(contentsOf: URL(fileURLWithPath: directory + "/" + SnapshotLock.fileName)))
    }

    func testSecondRunIsRefusedNamingFolderAndHolder() throws {
        let directory = try folder()
        let (lock, lines) = try acquire(directory, job: "77")
        XCTAssertEqual(lines, [])
        let mine = try holder(directory)
        XCTAssertEqual([mine.host, "\(mine.pid)", mine.job], [ProcessInfo.processInfo.hostName, "\(getpid())", "77"])
        XCTAssertThrowsError(try acquire(directory)) { error in
            guard case let .held(folder, holder, _) = error as? SnapshotLockError else { return XCTFail("\(error)") }
            XCTAssertEqual(folder, directory)
            XCTAssertEqual(holder, mine)
            XCTAssertTrue("\(error)".hasPrefix("\(directory) is in use by another training run (host \(mine.host), PID \(getpid()), Slurm job 77"),
                          "\(error)")
        }
        lock.release()
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/" + SnapshotLock.fileName))
        let (again, _) = try acquire(directory)
        again.release()
    }

    func testLockOfADeadProcessOnThisHostIsTakenOver() throws {
        let directory = try folder()
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        try plant(directory, host: ProcessInfo.processInfo.hostName, pid: dead.processIdentifier)
        let (lock, lines) = try acquire(directory)
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains("was stale: host \(ProcessInfo.processInfo.hostName), PID \(dead.processIdentifier) is not running"),
                      lines[0])
        XCTAssertEqual(try holder(directory).pid, getpid())
        lock.release()
    }

    func testRequeuedSlurmJobTakesItsLockOver() throws {
        let directory = try folder()
        try plant(directory, job: "12345")
        let (lock, lines) = try acquire(directory, job: "12345")
        XCTAssertTrue(lines.first?.contains("the same Slurm job, requeued") == true, "\(lines)")
        XCTAssertEqual(try holder(directory).pid, getpid())
        lock.release()
        // Another job's lock is not taken.
        try plant(directory, job: "12345")
        XCTAssertThrowsError(try acquire(directory, job: "999"))
    }

    func testStaleLockNeedsForce() throws {
        let directory = try folder()
        let now = Date().timeIntervalSince1970
        try plant(directory, heartbeat: now - 2 * 3600)
        XCTAssertThrowsError(try acquire(directory, now: now)) { error in
            guard case .stale = error as? SnapshotLockError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("looks dead (host other-node, PID 4242, no heartbeat for 2 h"), "\(error)")
            XCTAssertTrue("\(error)".contains("--force"), "\(error)")
        }
        let (lock, lines) = try acquire(directory, force: true, now: now)
        XCTAssertTrue(lines.first?.contains("--force: taking the lock of \(directory) from host other-node, PID 4242") == true, "\(lines)")
        lock.release()
    }

    /// A run whose lock was taken with --force notices at its next heartbeat and stops; it does
    /// not remove the new holder's lock when it ends.
    func testHeartbeatNoticesALostLock() throws {
        let directory = try folder()
        let now = Date().timeIntervalSince1970
        let (lock, _) = try acquire(directory, now: now)
        try lock.heartbeat(now: now + 10)
        XCTAssertEqual(try holder(directory).heartbeat, now + 10)
        try plant(directory)
        XCTAssertThrowsError(try lock.heartbeat(now: now + 20)) { error in
            guard case .lost = error as? SnapshotLockError else { return XCTFail("\(error)") }
        }
        lock.release()
        XCTAssertEqual(try holder(directory).token, "theirs")
    }
}
