// YAMLNode: one node of a parsed configuration document, after YAML 1.1 resolution, with where
// it started in the text (for error messages).

/// A resolved YAML node and its 1-based position in the text (nil for values built in code).
struct YAMLNode {
    var value: YAMLValue
    /// The scalar's source text (before resolution), for messages; nil for collections.
    var text: String?
    var line: Int?
    var column: Int?

    init(_ value: YAMLValue, text: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.value = value
        self.text = text
        self.line = line
        self.column = column
    }

    /// The same node with no positions (for values parsed from a `--set` argument, whose
    /// positions inside the argument would mislead).
    func strippingLocations() -> YAMLNode {
        var copy = YAMLNode(value, text: text)
        switch value {
        case .list(let items): copy.value = .list(items.map { $0.strippingLocations() })
        case .mapping(let pairs):
            copy.value = .mapping(pairs.map { YAMLPair(key: $0.key.strippingLocations(), value: $0.value.strippingLocations()) })
        default: break
        }
        return copy
    }

    /// "line:column", or nil when the node did not come from text.
    var location: String? {
        line.map { "\($0):\(column ?? 0)" }
    }

    /// The value as the user wrote it, for messages: the scalar text quoted, or a short rendering.
    var shownValue: String {
        if let text { return "'\(text)'" }
        switch value {
        case .list(let items): return "[" + items.map(\.shownValue).joined(separator: ", ") + "]"
        case .mapping(let pairs): return "{" + pairs.map { "\($0.name): …" }.joined(separator: ", ") + "}"
        default: return value.description
        }
    }
}
