// DatasetList: a DATA_LIST file (spec §7.1): one entry per line, surrounding whitespace stripped.

import Foundation

/// The entries of a list file with their line numbers, and the up-front check that the files they
/// name exist.
public struct DatasetList: Sendable, Equatable {
    /// The list file.
    public let path: String
    /// The entries, in file order (blank lines skipped).
    public let entries: [String]
    /// The 1-based line number of each entry.
    public let lines: [Int]

    /// Reads a list file.
    ///
    /// - Parameter path: The file.
    /// - Throws: `DataError.badList` when it cannot be read or has no entries.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError.badList(file: path, reason: "missing or unreadable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DataError.badList(file: path, reason: "not UTF-8 text")
        }
        var entries: [String] = []
        var lines: [Int] = []
        var number = 0
        text.enumerateLines { line, _ in
            number += 1
            let entry = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if !entry.isEmpty {
                entries.append(entry)
                lines.append(number)
            }
        }
        guard !entries.isEmpty else { throw DataError.badList(file: path, reason: "no entries") }
        self.path = path
        self.entries = entries
        self.lines = lines
    }

    /// Wraps entries that do not come from a file (Mapillary's sorted folder listing).
    ///
    /// - Parameters:
    ///   - path: What to name in messages (a folder).
    ///   - entries: The entries; line numbers are their 1-based positions.
    public init(path: String, entries: [String]) {
        self.path = path
        self.entries = entries
        self.lines = entries.indices.map { $0 + 1 }
    }

    /// The number of entries.
    public var count: Int { entries.count }

    /// Checks that every file each entry implies exists.
    ///
    /// - Parameter files: The files of one entry (image, label, ...).
    /// - Throws: `DataError.missingFile` naming the first missing file, its list line and entry,
    ///   and how many other files are missing.
    public func checkFilesExist(_ files: (String) -> [String]) throws {
        var first: (file: String, index: Int)?
        var missing = 0
        let manager = FileManager.default
        for (index, entry) in entries.enumerated() {
            for file in files(entry) where !manager.fileExists(atPath: file) {
                missing += 1
                if first == nil { first = (file, index) }
            }
        }
        if let first {
            throw DataError.missingFile(file: first.file, list: path, line: lines[first.index],
                                        entry: entries[first.index], more: missing - 1)
        }
    }
}
