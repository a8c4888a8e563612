// MTAFConfig+Loading: YAML file + `--set` overrides → a validated configuration, with upstream's
// merge rules (spec §6.1, `cfg_from_file` / `_merge_a_into_b`):
// - a key absent from the defaults is an error (ours names its path and the nearest valid key);
// - a value's type must equal the default's type (int ≠ float ≠ str ≠ bool ≠ list), except
//   IMG_MEAN which takes a list of numbers; sections merge key by key; lists replace lists;
// - an empty file is the defaults.
// Our additions: a file with `TARGET` or `TRAIN.DA_METHOD` is an ADVENT-style file, translated
// explicitly (`AdventTranslation`); `--set KEY.PATH=VALUE` overrides are merged after the file with
// the same rules; then `finalize` validates (spec §10) and fills in derived defaults (§6.4, §6.5).

import Foundation

extension MTAFConfig {
    /// Loads a configuration file, applies overrides, validates and fills in derived defaults.
    ///
    /// - Parameters:
    ///   - path: The YAML file; a relative path resolves against the working directory.
    ///   - overrides: `KEY.PATH=VALUE` strings (`--set`), applied in order after the file.
    ///   - expSuffix: `--exp-suffix`: appended to EXP_NAME as `_S` (spec §6.4).
    /// - Returns: the effective configuration.
    public static func load(file path: String, overrides: [String] = [],
                            expSuffix: String? = nil) throws(ConfigError) -> MTAFConfig {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .missingFile(path: path)
        }
        guard !isDirectory.boolValue else { throw .unreadableFile(path: path, reason: "it is a directory") }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .unreadableFile(path: path, reason: "not UTF-8 text or not readable (\(error.localizedDescription))")
        }
        return try load(yaml: text, source: path, overrides: overrides, expSuffix: expSuffix)
    }

    /// Loads a configuration from YAML text (see `load(file:overrides:expSuffix:)`).
    ///
    /// - Parameter source: Names the text in error messages.
    public static func load(yaml text: String, source: String = "<yaml>", overrides: [String] = [],
                            expSuffix: String? = nil) throws(ConfigError) -> MTAFConfig {
        var pairs: [YAMLPair] = []
        if let root = try YAMLReader.parse(text, source: source) {
            switch root.value {
            case .mapping(let rootPairs): pairs = rootPairs
            case .null: break
            default: throw .notAMapping(source: source, found: root.value.typeName.split(separator: " ").last.map(String.init) ?? "")
            }
        }
        let adventStyle = AdventTranslation.isAdventStyle(pairs)
        var config = adventStyle ? AdventTranslation.defaults : MTAFConfig()
        try config.merge(adventStyle ? AdventTranslation.translate(pairs, source: source) : pairs,
                         section: "", source: source)
        for override in overrides {
            try config.apply(override: override, adventStyle: adventStyle)
        }
        try config.finalize(expSuffix: expSuffix)
        return config
    }

    /// Merges one `KEY.PATH=VALUE` override (`--set`), validated like a file's value (spec §6.1).
    ///
    /// VALUE is read as YAML 1.1 (`100` an int, `0.01` a float, `[Cityscapes, IDD]` a list,
    /// `''` an empty string). The result is not re-validated: `finalize` does that.
    public mutating func apply(override argument: String) throws(ConfigError) {
        try apply(override: argument, adventStyle: false)
    }

    mutating func apply(override argument: String, adventStyle: Bool) throws(ConfigError) {
        guard let equals = argument.firstIndex(of: "=") else {
            throw .malformedOverride(argument: argument, reason: "no '='")
        }
        let keyPath = argument[..<equals].trimmingCharacters(in: .whitespaces)
        let valueText = String(argument[argument.index(after: equals)...])
        let components = keyPath.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !keyPath.isEmpty, !components.contains(where: \.isEmpty) else {
            throw .malformedOverride(argument: argument, reason: "the key path '\(keyPath)' is empty or has an empty part")
        }
        let source = "--set \(argument)"
        var node = try YAMLReader.parse(valueText, source: source)?.strippingLocations() ?? YAMLNode(.null, text: "")
        for component in components.reversed() {
            node = YAMLNode(.mapping([YAMLPair(name: component, value: node)]))
        }
        guard case .mapping(var pairs) = node.value else { preconditionFailure("built a mapping") }
        if adventStyle { pairs = try AdventTranslation.translate(pairs, source: source) }
        try merge(pairs, section: "", source: source)
    }

    /// Merges parsed pairs into this configuration (upstream `_merge_a_into_b`).
    mutating func merge(_ pairs: [YAMLPair], section: String, source: String) throws(ConfigError) {
        let fields = Self.fields
        for pair in pairs {
            let name = pair.name
            let path = section.isEmpty ? name : section + "." + name
            if section.isEmpty, pair.keyIsString, Self.sectionNames.contains(name) {
                guard case .mapping(let inner) = pair.value.value else {
                    throw .typeMismatch(source: source, location: pair.value.location, path: path,
                                        expected: "a section (a mapping of keys)", found: pair.value.value.typeName,
                                        value: pair.value.shownValue, hint: nil)
                }
                try merge(inner, section: name, source: source)
                continue
            }
            guard pair.keyIsString, let field = fields.first(where: { $0.path == path }) else {
                throw .unknownKey(source: source, location: pair.key.location, key: name, path: path,
                                  suggestion: Self.suggestion(for: name, section: section))
            }
            field.set(&self, try field.type.convert(pair.value, path: path, source: source))
        }
    }

    /// The nearest valid key for an unknown one: the same key in another section if it exists
    /// there, else the nearest key of the same section by edit distance (full path).
    static func suggestion(for key: String, section: String) -> String? {
        let fields = Self.fields
        let upper = key.uppercased()
        var sameLevel = fields.filter { $0.section == section }.map(\.key)
        if section.isEmpty { sameLevel += sectionNames }
        if !sameLevel.contains(upper),
           let elsewhere = fields.first(where: { $0.key == upper && $0.section != section }) {
            return elsewhere.path
        }
        guard let nearest = EditDistance.nearest(to: key, in: sameLevel) else { return nil }
        return section.isEmpty ? nearest : section + "." + nearest
    }
}
