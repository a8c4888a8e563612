// MTAFConfig+Writing: the effective configuration as YAML (upstream writes it to
// SNAPSHOT_DIR/train_cfg.yml, spec §6.4 step 8). The text loads back to an equal configuration.

import Foundation

extension MTAFConfig {
    /// The file name of the effective configuration next to the snapshots (upstream's).
    public static let effectiveConfigName = "train_cfg.yml"

    /// Every key's full path (e.g. `TRAIN.MODEL`) and its value in YAML flow style, in writing order.
    public var keyValues: [(key: String, value: String)] {
        Self.fields.map { ($0.path, YAMLWriter.flow($0.get(self))) }
    }

    /// Every key as YAML: top-level keys, then the TRAIN, TEST, DIST and LOG sections, in
    /// `keyPaths` order; lists in flow style.
    public var yamlText: String {
        var lines = ["# Effective mtaf-swift configuration (spec §6); load it with --cfg."]
        var currentSection = ""
        for (field, entry) in zip(Self.fields, keyValues) {
            let section = field.section
            if section != currentSection {
                lines.append("\(section):")
                currentSection = section
            }
            let indent = section.isEmpty ? "" : "  "
            lines.append("\(indent)\(field.key): \(entry.value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `yamlText` to a file, atomically.
    public func write(to path: String) throws(ConfigError) {
        let bytes = Array(yamlText.utf8)
        do {
            try AtomicFile.write(to: path) { sink in
                try bytes.withUnsafeBytes { try sink($0) }
            }
        } catch {
            throw .writeFailed(path: path, reason: "\(error)")
        }
    }

    /// Writes the effective configuration as `train_cfg.yml` into a folder (default
    /// TRAIN.SNAPSHOT_DIR), creating the folder.
    ///
    /// - Returns: the written file's path.
    @discardableResult
    public func writeEffective(into directory: String? = nil) throws(ConfigError) -> String {
        let folder = directory ?? train.snapshotDir
        let path = Self.join(folder, Self.effectiveConfigName)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .writeFailed(path: path, reason: "cannot create \(folder): \(error.localizedDescription)")
        }
        try write(to: path)
        return path
    }
}
