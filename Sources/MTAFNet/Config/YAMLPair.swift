// YAMLPair: one key/value entry of a parsed YAML mapping.

/// A mapping entry; the key keeps its own position for "unknown key" messages.
struct YAMLPair {
    var key: YAMLNode
    var value: YAMLNode

    /// The key as written.
    var name: String { key.text ?? key.value.description }

    /// Whether the key resolved to a string (upstream's keys are all strings; `1:` or `yes:` are not).
    var keyIsString: Bool {
        if case .string = key.value { return true }
        return false
    }

    init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }

    /// A pair built in code (an override's key path), with no position.
    init(name: String, value: YAMLNode) {
        self.key = YAMLNode(.string(name), text: name)
        self.value = value
    }
}
