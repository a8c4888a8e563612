import Distributed
import Foundation

/// The losses of one iteration under upstream's names, in upstream's print order (spec §5.5).
public struct IterationLosses: Equatable, Sendable {
    /// (name, value) pairs in print order.
    public var entries: [(name: String, value: Double)]

    public init(_ entries: [(name: String, value: Double)]) {
        self.entries = entries
    }

    public subscript(name: String) -> Double? {
        entries.first { $0.name == name }?.value
    }

    /// The first loss that is not finite, if any.
    public var firstNonFinite: (name: String, value: Double)? {
        entries.first { !$0.value.isFinite }
    }

    /// Upstream's line (ADVENT's `print_losses`): `iter = <i> <name> = <value %.3f> ` entries
    /// joined by a space, so entries are separated by two spaces.
    public func upstreamLine(iteration: Int) -> String {
        let parts = entries.map { "\($0.name) = \(String(format: "%.3f", $0.value)) " }
        return "iter = \(iteration) " + parts.joined(separator: " ")
    }

    public static func == (a: IterationLosses, b: IterationLosses) -> Bool {
        a.entries.map(\.name) == b.entries.map(\.name) && a.entries.map(\.value) == b.entries.map(\.value)
    }
}

/// Appends one JSON object per iteration (`{"iter": i, "<loss>": value, …, "seconds": s}`) to a
/// file with `write(2)`, so a crashed run keeps every logged iteration. A failed write (a full
/// disk) throws naming the file and takes back the part of the line it wrote, so the log only
/// ever holds whole lines.
public final class LossLogFile {
    private let fd: Int32
    /// The file's size after the last whole line.
    private var size: off_t
    public let path: String

    /// Opens (creating or appending to) the log. On resume, lines after `resumeIteration` (and a
    /// torn last line) are cut off first so the log never holds an iteration twice; cutting only
    /// shortens the file, so it needs no free space.
    public init(path: String, resumeIteration: Int? = nil) throws {
        self.path = path
        let keep = try resumeIteration.map { try Self.keptLength(path: path, upTo: $0) }
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (resumeIteration == nil ? O_TRUNC : 0)
        fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw FileIOError(path: path, call: "open", errno: errno) }
        if let keep, ftruncate(fd, off_t(keep)) != 0 {
            let code = errno
            close(fd)
            throw FileIOError(path: path, call: "ftruncate", errno: code)
        }
        size = lseek(fd, 0, SEEK_END)
        guard size >= 0 else {
            let code = errno
            close(fd)
            throw FileIOError(path: path, call: "lseek", errno: code)
        }
    }

    /// The byte length of the log's leading whole lines of iterations up to `iteration`.
    private static func keptLength(path: String, upTo iteration: Int) throws -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        var length = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            guard line.endIndex < data.endIndex,
                  let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let logged = object["iter"] as? Int, logged <= iteration else { break }
            length = line.endIndex - data.startIndex + 1
        }
        return length
    }

    /// Appends one iteration.
    ///
    /// - Throws: `FileIOError` naming the log when the line cannot be written whole.
    public func append(iteration: Int, losses: IterationLosses, seconds: Double) throws {
        var fields = ["\"iter\": \(iteration)"]
        for entry in losses.entries {
            fields.append("\"\(entry.name)\": \(entry.value.isFinite ? String(entry.value) : "\"\(entry.value)\"")")
        }
        fields.append("\"seconds\": \(String(format: "%.4f", seconds))")
        let line = Array(("{" + fields.joined(separator: ", ") + "}\n").utf8)
        let code = line.withUnsafeBytes { writeFully(fd, $0) }
        guard code == 0 else {
            _ = ftruncate(fd, size)   // drop a partly written line
            _ = lseek(fd, 0, SEEK_END)
            throw FileIOError(path: path, call: "write", errno: code)
        }
        size += off_t(line.count)
    }

    deinit {
        close(fd)
    }
}
