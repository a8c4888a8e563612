// YAMLReader: YAML text → `YAMLNode` tree. libyaml (through Yams' `compose`) parses; the scalars
// are then typed here with PyYAML's YAML 1.1 rules (`YAML11Resolver`), not with Yams' own
// resolver, so that a file reads as upstream read it (spec §6.1). `YAMLAliasBound` first bounds
// what aliases expand to.

import Yams

/// Parses configuration YAML into resolved nodes (spec §6.1).
enum YAMLReader {
    private static let yamlTagPrefix = "tag:yaml.org,2002:"

    /// Parses one YAML document.
    ///
    /// - Parameters:
    ///   - text: The YAML text.
    ///   - source: Names the text in errors (a file path or `--set …`).
    /// - Returns: the root node, or nil for an empty document.
    static func parse(_ text: String, source: String) throws(ConfigError) -> YAMLNode? {
        try YAMLAliasBound.check(text, source: source)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text, .basic)
        } catch let error as YamlError {
            throw convert(error, source: source)
        } catch {
            throw .syntax(source: source, line: nil, column: nil, problem: "\(error)")
        }
        guard let root else { return nil }
        return try resolve(root, source: source)
    }

    private static func resolve(_ node: Node, source: String) throws(ConfigError) -> YAMLNode {
        let mark = node.mark
        let location = mark.map { "\($0.line):\($0.column)" }
        func make(_ value: YAMLValue, text: String? = nil) -> YAMLNode {
            YAMLNode(value, text: text, line: mark?.line, column: mark?.column)
        }
        switch node {
        case .scalar(let scalar):
            let tag = scalar.tag.rawValue
            let text = scalar.string
            let value: YAMLValue?
            if tag.isEmpty {
                value = scalar.style == .plain || scalar.style == .any
                    ? YAML11Resolver.resolvePlain(text) : .string(text)
                if value == nil {
                    throw .unsupportedYAML(source: source, location: location,
                                           what: "the plain scalar '\(text)' (a YAML 1.1 \(YAML11Resolver.implicitTag(of: text)) indicator)")
                }
            } else if tag == "!" {
                value = .string(text)
            } else if tag.hasPrefix(yamlTagPrefix) {
                value = YAML11Resolver.construct(tag: String(tag.dropFirst(yamlTagPrefix.count)), text: text)
                if value == nil {
                    throw .unsupportedYAML(source: source, location: location, what: "the value '\(text)' with tag \(tag)")
                }
            } else {
                throw .unsupportedYAML(source: source, location: location, what: "the tag \(tag)")
            }
            return make(value!, text: text)
        case .sequence(let sequence):
            let tag = sequence.tag.rawValue
            guard tag.isEmpty || tag == "!" || tag == yamlTagPrefix + "seq" else {
                throw .unsupportedYAML(source: source, location: location, what: "the tag \(tag)")
            }
            var items: [YAMLNode] = []
            for item in sequence { items.append(try resolve(item, source: source)) }
            return make(.list(items))
        case .mapping(let mapping):
            let tag = mapping.tag.rawValue
            guard tag.isEmpty || tag == "!" || tag == yamlTagPrefix + "map" else {
                throw .unsupportedYAML(source: source, location: location, what: "the tag \(tag)")
            }
            var pairs: [YAMLPair] = []
            for (key, value) in mapping {
                let resolvedKey = try resolve(key, source: source)
                guard let keyText = resolvedKey.text else {
                    throw .unsupportedYAML(source: source, location: resolvedKey.location,
                                           what: "\(resolvedKey.value.typeName) used as a mapping key")
                }
                if case .scalar(let scalar) = key, scalar.style == .plain, keyText == "<<" {
                    throw .unsupportedYAML(source: source, location: resolvedKey.location, what: "the merge key <<")
                }
                pairs.append(YAMLPair(key: resolvedKey, value: try resolve(value, source: source)))
            }
            return make(.mapping(pairs))
        case .alias:
            throw .unsupportedYAML(source: source, location: location, what: "an unresolved alias")
        }
    }

    private static func convert(_ error: YamlError, source: String) -> ConfigError {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let text = context.map { "\($0.text) (line \($0.mark.line), column \($0.mark.column)): " } ?? ""
            return .syntax(source: source, line: mark.line, column: mark.column, problem: text + problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            return .duplicateKey(source: source, keys: duplicates.sorted(), line: context.mark.line,
                                 column: context.mark.column)
        case let .reader(problem, offset, _, _):
            return .syntax(source: source, line: nil, column: nil,
                           problem: problem + (offset.map { " at character \($0)" } ?? ""))
        default:
            return .syntax(source: source, line: nil, column: nil, problem: "\(error)")
        }
    }
}
