// ConfigType: the type of a configuration key, taken from its default as upstream's merge does
// (spec §6.1), and the check that turns a parsed YAML value into a `ConfigValue` of that type.

/// The type of a configuration key (spec §6.1).
///
/// Scalars need exact type equality (int ≠ float ≠ str ≠ bool). Lists (upstream tuples) accept a
/// YAML list and replace the whole default; their entries are checked too (ours: upstream does not
/// look inside lists), except that a float list takes ints. `float32Array` (IMG_MEAN) takes a list
/// of numbers, converted to Float.
public enum ConfigType: Equatable, Sendable {
    case int, float, string, bool
    case intList, floatList, stringList, boolList
    case float32Array

    /// The type's name in messages.
    public var name: String {
        switch self {
        case .int: "an int"
        case .float: "a float"
        case .string: "a str"
        case .bool: "a bool"
        case .intList: "a list of ints"
        case .floatList: "a list of floats"
        case .stringList: "a list of strs"
        case .boolList: "a list of bools"
        case .float32Array: "a float32 array (a list of numbers)"
        }
    }

    /// Checks a parsed value against this type and converts it.
    ///
    /// - Parameters:
    ///   - node: The parsed value.
    ///   - path: The key's full path, for errors.
    ///   - source: The file or `--set` argument, for errors.
    func convert(_ node: YAMLNode, path: String, source: String) throws(ConfigError) -> ConfigValue {
        func mismatch(_ bad: YAMLNode, at path: String, expected: String) -> ConfigError {
            .typeMismatch(source: source, location: bad.location, path: path, expected: expected,
                          found: bad.value.typeName, value: bad.shownValue, hint: Self.hint(for: bad, expected: expected))
        }
        func items(_ expected: String) throws(ConfigError) -> [YAMLNode] {
            guard case .list(let items) = node.value else { throw mismatch(node, at: path, expected: name) }
            return items
        }
        switch self {
        case .int:
            if case .int(let value) = node.value { return .int(value) }
        case .float:
            if case .float(let value) = node.value { return .float(value) }
        case .string:
            if case .string(let value) = node.value { return .string(value) }
        case .bool:
            if case .bool(let value) = node.value { return .bool(value) }
        case .intList:
            var values: [Int] = []
            for (index, item) in try items(name).enumerated() {
                guard case .int(let value) = item.value else { throw mismatch(item, at: "\(path)[\(index)]", expected: "an int") }
                values.append(value)
            }
            return .intList(values)
        case .floatList, .float32Array:
            var values: [Double] = []
            for (index, item) in try items(name).enumerated() {
                switch item.value {
                case .float(let value): values.append(value)
                case .int(let value): values.append(Double(value))
                default: throw mismatch(item, at: "\(path)[\(index)]", expected: "a number")
                }
            }
            return self == .floatList ? .floatList(values) : .float32Array(values.map { Float($0) })
        case .stringList:
            var values: [String] = []
            for (index, item) in try items(name).enumerated() {
                guard case .string(let value) = item.value else { throw mismatch(item, at: "\(path)[\(index)]", expected: "a str") }
                values.append(value)
            }
            return .stringList(values)
        case .boolList:
            var values: [Bool] = []
            for (index, item) in try items(name).enumerated() {
                guard case .bool(let value) = item.value else { throw mismatch(item, at: "\(path)[\(index)]", expected: "a bool") }
                values.append(value)
            }
            return .boolList(values)
        }
        throw mismatch(node, at: path, expected: name)
    }

    /// A hint for the YAML 1.1 surprises of spec §6.1.
    static func hint(for node: YAMLNode, expected: String) -> String? {
        switch node.value {
        case .string(let text) where expected.contains("float") || expected.contains("number") || expected.contains("int"):
            if text.wholeMatch(of: /[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+/) != nil {
                return "YAML 1.1 reads a number in exponent form as a float only with a dot and a signed exponent: write e.g. 1.0e-4"
            }
            if node.text != nil, Double(text) != nil { return "quoted numbers are strings: remove the quotes" }
            return nil
        case .int(let value) where expected.contains("float"):
            return "YAML reads \(value) as an int: write \(value).0"
        case .float where expected.contains("int"):
            return "write an integer without a dot"
        case .null where expected.contains("str"):
            return "an empty value is null in YAML: write '' for an empty string"
        case .string(let text) where expected.contains("bool"):
            return "YAML 1.1 booleans are true/false, yes/no, on/off (unquoted); got '\(text)'"
        case .string where expected.contains("list"):
            return "write a list as [a, b] or as '- a' lines"
        default:
            return nil
        }
    }
}
