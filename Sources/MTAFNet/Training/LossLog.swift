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
/// file, flushed each line, so a crashed run keeps every logged iteration.
public final class LossLogFile {
    private let handle: FileHandle
    public let path: String

    /// Opens (creating or appending to) the log. On resume, lines after `resumeIteration` are
    /// dropped first so the log never holds an iteration twice.
    public init(path: String, resumeIteration: Int? = nil) throws {
        self.path = path
        let manager = FileManager.default
        if let resumeIteration, let data = manager.contents(atPath: path) {
            let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let iteration = object["iter"] as? Int else { return false }
                return iteration <= resumeIteration
            }
            try Data((kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).utf8).write(to: URL(fileURLWithPath: path))
        } else if !manager.fileExists(atPath: path) || resumeIteration == nil {
            guard manager.createFile(atPath: path, contents: nil) else {
                throw SnapshotError.cannotCreate(directory: path, reason: "cannot create the loss log")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw SnapshotError.cannotCreate(directory: path, reason: "cannot open the loss log")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    /// Appends one iteration.
    public func append(iteration: Int, losses: IterationLosses, seconds: Double) {
        var fields = ["\"iter\": \(iteration)"]
        for entry in losses.entries {
            fields.append("\"\(entry.name)\": \(entry.value.isFinite ? String(entry.value) : "\"\(entry.value)\"")")
        }
        fields.append("\"seconds\": \(String(format: "%.4f", seconds))")
        handle.write(Data(("{" + fields.joined(separator: ", ") + "}\n").utf8))
    }

    deinit {
        try? handle.close()
    }
}
