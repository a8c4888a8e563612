import Foundation

// YAML11Resolver: PyYAML's implicit resolvers (yaml.resolver.Resolver, YAML 1.1) and its
// constructors for the scalar types, so that a configuration reads exactly as upstream's
// `yaml.load` read it (spec §6.1): `0.001`, `4.0`, `2.5e-4` are floats, `1e-4` (no dot) and
// `2.5e4` (unsigned exponent) are strings, `4` is an int, `09` is a string (not octal),
// `yes/no/on/off/true/false` in three casings are booleans, `~`, `null` and the empty plain
// scalar are null. Only plain (unquoted) scalars are resolved; quoted ones are strings.

/// YAML 1.1 scalar resolution and construction, as PyYAML does it (spec §6.1).
enum YAML11Resolver {
    /// PyYAML's `yaml_implicit_resolvers` patterns (re.X whitespace removed), in PyYAML's order.
    static let boolPattern = "yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    static let floatPattern = #"[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"#
        + #"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"#
        + #"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"#
        + #"|[-+]?\.(?:inf|Inf|INF)"#
        + #"|\.(?:nan|NaN|NAN)"#
    static let intPattern = #"[-+]?0b[0-1_]+"#
        + #"|[-+]?0[0-7_]+"#
        + #"|[-+]?(?:0|[1-9][0-9_]*)"#
        + #"|[-+]?0x[0-9a-fA-F_]+"#
        + #"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"#
    static let nullPattern = "~|null|Null|NULL|"
    static let timestampPattern = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
        + #"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"#
        + #"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?"#

    /// The compiled patterns (read-only after initialization; `Regex` matching does not mutate).
    private nonisolated(unsafe) static let compiled: [String: Regex<AnyRegexOutput>] = {
        var table: [String: Regex<AnyRegexOutput>] = [:]
        for pattern in [boolPattern, floatPattern, intPattern, nullPattern, timestampPattern] {
            guard let regex = try? Regex("^(?:" + pattern + ")$") else {
                preconditionFailure("invalid resolver pattern \(pattern)")
            }
            table[pattern] = regex
        }
        return table
    }()

    /// The YAML 1.1 tag PyYAML gives a plain scalar: "bool", "float", "int", "null", "timestamp",
    /// "merge" (`<<`), "value" (`=`) or "str".
    static func implicitTag(of text: String) -> String {
        if matches(text, boolPattern) { return "bool" }
        if matches(text, floatPattern) { return "float" }
        if matches(text, intPattern) { return "int" }
        if text == "<<" { return "merge" }
        if matches(text, nullPattern) { return "null" }
        if matches(text, timestampPattern) { return "timestamp" }
        if text == "=" { return "value" }
        return "str"
    }

    /// Resolves a plain scalar and constructs its value (PyYAML's SafeConstructor).
    ///
    /// - Returns: the value, or nil for `<<` and `=` (PyYAML cannot construct them as values).
    static func resolvePlain(_ text: String) -> YAMLValue? {
        construct(tag: implicitTag(of: text), text: text)
    }

    /// Constructs a scalar of a given YAML 1.1 type from its text (`construct_yaml_int`, `_float`,
    /// `_bool`, `_null`); nil when the text does not fit the type.
    static func construct(tag: String, text: String) -> YAMLValue? {
        switch tag {
        case "str": return .string(text)
        case "null": return .null
        case "timestamp": return .timestamp(text)
        case "bool":
            switch text.lowercased() {
            case "yes", "true", "on": return .bool(true)
            case "no", "false", "off": return .bool(false)
            default: return nil
            }
        case "int": return constructInt(text).map(YAMLValue.int)
        case "float": return constructFloat(text).map(YAMLValue.float)
        default: return nil
        }
    }

    /// `construct_yaml_int`: underscores dropped, sign, `0b` binary, `0x` hex, leading 0 octal,
    /// `a:b:c` base 60, else decimal. Nil on overflow or bad digits.
    static func constructInt(_ text: String) -> Int? {
        var value = Substring(text.replacingOccurrences(of: "_", with: ""))
        var sign = 1
        if value.first == "-" { sign = -1 }
        if value.first == "-" || value.first == "+" { value = value.dropFirst() }
        guard !value.isEmpty else { return nil }
        let magnitude: Int?
        if value == "0" {
            magnitude = 0
        } else if value.hasPrefix("0b") {
            magnitude = Int(value.dropFirst(2), radix: 2)
        } else if value.hasPrefix("0x") {
            magnitude = Int(value.dropFirst(2), radix: 16)
        } else if value.first == "0" {
            magnitude = Int(value, radix: 8)
        } else if value.contains(":") {
            var total = 0
            for part in value.split(separator: ":", omittingEmptySubsequences: false) {
                guard let digit = Int(part) else { return nil }
                let (scaled, o1) = total.multipliedReportingOverflow(by: 60)
                let (sum, o2) = scaled.addingReportingOverflow(digit)
                if o1 || o2 { return nil }
                total = sum
            }
            magnitude = total
        } else {
            magnitude = Int(value, radix: 10)
        }
        return magnitude.map { sign * $0 }
    }

    /// `construct_yaml_float`: underscores dropped, lower-cased, sign, `.inf`, `.nan`, `a:b.c`
    /// base 60, else Python's `float()`.
    static func constructFloat(_ text: String) -> Double? {
        var value = Substring(text.replacingOccurrences(of: "_", with: "").lowercased())
        var sign = 1.0
        if value.first == "-" { sign = -1 }
        if value.first == "-" || value.first == "+" { value = value.dropFirst() }
        if value == ".inf" { return sign * .infinity }
        if value == ".nan" { return .nan }
        if value.contains(":") {
            var total = 0.0
            for part in value.split(separator: ":", omittingEmptySubsequences: false) {
                guard let digit = pythonFloat(part) else { return nil }
                total = total * 60 + digit
            }
            return sign * total
        }
        return pythonFloat(value).map { sign * $0 }
    }

    /// Python's `float(str)` for the decimal forms YAML produces ("1.", ".5", "1e5", "2.5e-4").
    private static func pythonFloat(_ text: Substring) -> Double? {
        guard !text.isEmpty, text.allSatisfy({ "0123456789.eE+-".contains($0) }) else { return nil }
        var normalized = String(text)
        if normalized.hasPrefix(".") { normalized = "0" + normalized }
        if let dot = normalized.firstIndex(of: "."), normalized.index(after: dot) == normalized.endIndex
            || "eE".contains(normalized[normalized.index(after: dot)]) {
            normalized.insert("0", at: normalized.index(after: dot))
        }
        return Double(normalized)
    }

    private static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = compiled[pattern] else { preconditionFailure("unknown resolver pattern \(pattern)") }
        return text.wholeMatch(of: regex) != nil
    }
}
