// YAMLValue: the value of a YAML node once PyYAML's YAML 1.1 implicit resolution (spec §6.1) or
// an explicit tag has given it a type.

/// A YAML value typed as PyYAML would construct it (spec §6.1).
enum YAMLValue {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// A YAML 1.1 timestamp (`2001-12-14`); no configuration key takes one.
    case timestamp(String)
    case list([YAMLNode])
    /// Key/value pairs in document order.
    case mapping([YAMLPair])

    /// The type's name in messages (Python's names, as upstream's "Type mismatch" prints them).
    var typeName: String {
        switch self {
        case .null: "null (None)"
        case .bool: "a bool"
        case .int: "an int"
        case .float: "a float"
        case .string: "a str"
        case .timestamp: "a timestamp"
        case .list: "a list"
        case .mapping: "a dict"
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "True" : "False"
        case .int(let value): String(value)
        case .float(let value): YAMLWriter.float(value)
        case .string(let value): "'\(value)'"
        case .timestamp(let value): value
        case .list(let items): "[" + items.map(\.shownValue).joined(separator: ", ") + "]"
        case .mapping(let pairs): "{" + pairs.map(\.name).joined(separator: ", ") + "}"
        }
    }
}
