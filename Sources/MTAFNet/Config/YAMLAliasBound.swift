// YAMLAliasBound: a pass over libyaml's events, before anything is composed, that bounds what
// aliases expand to. A few lines of nested anchors (`b: &b [*a, *a, …]`, nine levels) name
// hundreds of millions of nodes; composing, hashing or resolving them would exhaust memory or
// time, while counting them here takes one step per event.

import CYaml   // libyaml as Yams builds it; a second copy of libyaml would clash with its symbols

/// Limits on the size of a configuration document after alias expansion.
enum YAMLAliasBound {
    /// The most nodes (scalars, lists, mappings) a document may expand to; a full MTAF config
    /// has a few hundred.
    static let maxNodes = 100_000
    /// The deepest nesting a document may expand to.
    static let maxDepth = 64

    /// What an anchored node expands to.
    private struct Size {
        var nodes = 1
        var depth = 1
    }

    /// Counts the expanded nodes and depth of every document in `text`.
    ///
    /// - Throws: `ConfigError.tooLarge` naming the source and the line where a limit is crossed.
    ///   Malformed text passes: the composer reports it with its own message.
    static func check(_ text: String, source: String) throws(ConfigError) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBufferPointer { (buffer) throws(ConfigError) in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var anchors: [String: Size] = [:]
            var open: [(anchor: String?, size: Size)] = []   // the collections being read
            var total = 0
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                var finished: (anchor: String?, size: Size)?
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_SCALAR_EVENT:
                    finished = (name(event.data.scalar.anchor), Size())
                case YAML_ALIAS_EVENT:
                    finished = (nil, name(event.data.alias.anchor).flatMap { anchors[$0] } ?? Size())
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let anchor = event.type == YAML_SEQUENCE_START_EVENT
                        ? name(event.data.sequence_start.anchor) : name(event.data.mapping_start.anchor)
                    open.append((anchor, Size()))
                    total += 1
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    finished = open.popLast()
                default:
                    break
                }
                guard let (anchor, size) = finished else {
                    try checkLimits(total: total, depth: open.count, source: source, line: line)
                    continue
                }
                if let anchor { anchors[anchor] = size }
                if event.type == YAML_SCALAR_EVENT || event.type == YAML_ALIAS_EVENT { total += size.nodes }
                try checkLimits(total: total, depth: open.count + size.depth, source: source, line: line)
                if !open.isEmpty {
                    open[open.count - 1].size.nodes += size.nodes
                    open[open.count - 1].size.depth = max(open[open.count - 1].size.depth, size.depth + 1)
                }
            }
        }
    }

    private static func checkLimits(total: Int, depth: Int, source: String, line: Int) throws(ConfigError) {
        if total > maxNodes {
            throw .tooLarge(source: source, line: line, what: "more than \(maxNodes) values (aliases expand to copies "
                            + "of what they name, so nested ones multiply)")
        }
        if depth > maxDepth {
            throw .tooLarge(source: source, line: line, what: "lists or mappings nested more than \(maxDepth) deep")
        }
    }

    private static func name(_ anchor: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        anchor.map { String(cString: $0) }
    }
}
