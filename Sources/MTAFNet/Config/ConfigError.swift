// ConfigError: every way loading, overriding, validating or writing a configuration can fail
// (spec §6.1, §10). Each case names the source (a file path or the `--set` argument), the key
// path and what was expected, so that the message alone says what to fix.

/// An error of the configuration area (spec §6).
///
/// `source` is the file path, `--set KEY=VALUE` for a command-line override, or `<defaults>`.
/// `location` is "line:column" (1-based) when the value came from YAML text.
public enum ConfigError: Error, Equatable, CustomStringConvertible {
    /// The configuration file does not exist.
    case missingFile(path: String)
    /// The file exists but cannot be read as UTF-8 text.
    case unreadableFile(path: String, reason: String)
    /// The YAML text is malformed (libyaml's scanner, parser or composer error).
    case syntax(source: String, line: Int?, column: Int?, problem: String)
    /// A mapping lists the same key twice.
    case duplicateKey(source: String, keys: [String], line: Int?, column: Int?)
    /// A YAML construct the loader does not take (merge keys, unknown tags, `=`).
    case unsupportedYAML(source: String, location: String?, what: String)
    /// The document expands (through aliases) to too many values or too deep a nesting.
    case tooLarge(source: String, line: Int, what: String)
    /// The document's root is not a mapping of keys.
    case notAMapping(source: String, found: String)
    /// A key that is not a configuration key (spec §6.1: "not a valid config key").
    case unknownKey(source: String, location: String?, key: String, path: String, suggestion: String?)
    /// A value whose type differs from the default's type (spec §6.1).
    case typeMismatch(source: String, location: String?, path: String, expected: String, found: String,
                      value: String, hint: String?)
    /// A value of the right type that the rules of spec §10 reject.
    case invalidValue(path: String, value: String, reason: String)
    /// A per-target list whose length is neither 1 nor len(TARGETS) (spec §10).
    case perTargetLength(path: String, count: Int, targets: Int)
    /// A `--set` argument that is not `KEY.PATH=VALUE`.
    case malformedOverride(argument: String, reason: String)
    /// The effective configuration could not be written.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "config file \(path) does not exist (relative paths resolve against the working directory)"
        case let .unreadableFile(path, reason):
            return "config file \(path) cannot be read: \(reason)"
        case let .syntax(source, line, column, problem):
            let at = line.map { " at line \($0), column \(column ?? 0)" } ?? ""
            return "\(source): YAML syntax error\(at): \(problem)"
        case let .duplicateKey(source, keys, line, column):
            let at = line.map { " (mapping at line \($0), column \(column ?? 0))" } ?? ""
            return "\(source): key\(keys.count == 1 ? "" : "s") \(keys.joined(separator: ", ")) given twice in one mapping\(at)"
        case let .unsupportedYAML(source, location, what):
            return "\(Self.prefix(source, location)): \(what) is not supported in a configuration"
        case let .tooLarge(source, line, what):
            return "\(source): the document reaches \(what) by line \(line); a configuration needs a few hundred"
        case let .notAMapping(source, found):
            return "\(source): the document must be a mapping of configuration keys, found a \(found)"
        case let .unknownKey(source, location, key, path, suggestion):
            var text = "\(Self.prefix(source, location)): \(key) is not a valid config key (path \(path))"
            if let suggestion { text += "; did you mean \(suggestion)?" }
            return text
        case let .typeMismatch(source, location, path, expected, found, value, hint):
            var text = "\(Self.prefix(source, location)): type mismatch for config key \(path): "
                + "the default is \(expected), the value \(value) is \(found)"
            if let hint { text += " (\(hint))" }
            return text
        case let .invalidValue(path, value, reason):
            return "config key \(path) = \(value): \(reason)"
        case let .perTargetLength(path, count, targets):
            return "config key \(path) has \(count) entries but TARGETS has \(targets): give one entry per target, "
                + "or a single entry that applies to every target (spec §10)"
        case let .malformedOverride(argument, reason):
            return "--set \(argument): \(reason) (expected KEY.PATH=VALUE, e.g. TRAIN.EARLY_STOP=100)"
        case let .writeFailed(path, reason):
            return "cannot write the effective config to \(path): \(reason)"
        }
    }

    private static func prefix(_ source: String, _ location: String?) -> String {
        location.map { "\(source):\($0)" } ?? source
    }
}
