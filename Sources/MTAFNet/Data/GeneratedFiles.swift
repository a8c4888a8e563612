// GeneratedFiles: how the synthetic data sets are written (spec §9): folders, text files (lists,
// configs) and one drawing job per image spread over the cores.

import Dispatch
import Foundation
import Synchronization

/// The file writing the synthetic generators share (`SyntheticBenchmark`, `SyntheticPretext`).
enum GeneratedFiles {
    /// Creates a folder and its parents.
    ///
    /// - Throws: `DataError.cannotWrite` naming the folder.
    static func makeFolder(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw DataError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// Writes a UTF-8 text file atomically.
    ///
    /// - Throws: `DataError.cannotWrite` naming the file.
    static func writeText(_ text: String, to path: String) throws {
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw DataError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// Runs `write(i)` for every i in 0..<count on all cores; each job draws and writes its own
    /// files, so the files do not depend on the scheduling.
    ///
    /// - Parameters:
    ///   - count: the number of jobs.
    ///   - name: job i's name (its image path), by which failures are ordered.
    ///   - write: job i.
    /// - Throws: the error of the failing job whose name sorts first.
    static func writeConcurrently(_ count: Int, name: (Int) -> String, _ write: @Sendable (Int) throws -> Void) throws {
        let failures = Mutex<[(index: Int, error: any Error)]>([])
        DispatchQueue.concurrentPerform(iterations: count) { i in
            do {
                try write(i)
            } catch {
                failures.withLock { $0.append((i, error)) }
            }
        }
        let failed = failures.withLock { $0 }
        if let first = failed.min(by: { name($0.index) < name($1.index) }) { throw first.error }
    }
}
