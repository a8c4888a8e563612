// ConfigField: one configuration key: its full path, its type, and how to read and write it in
// an `MTAFConfig`. The table of all of them is `MTAFConfig.fields`.

/// One key of the configuration schema (spec §6.2).
struct ConfigField {
    /// Full key path, e.g. "TRAIN.LEARNING_RATE".
    let path: String
    let type: ConfigType
    let get: (MTAFConfig) -> ConfigValue
    let set: (inout MTAFConfig, ConfigValue) -> Void

    /// The section ("" for top-level keys) and the key inside it.
    var section: String { path.contains(".") ? String(path.split(separator: ".")[0]) : "" }
    var key: String { String(path.split(separator: ".").last!) }

    private static func bind<T>(_ path: String, _ type: ConfigType, _ keyPath: WritableKeyPath<MTAFConfig, T>,
                                wrap: @escaping (T) -> ConfigValue,
                                unwrap: @escaping (ConfigValue) -> T?) -> ConfigField {
        ConfigField(path: path, type: type,
                    get: { wrap($0[keyPath: keyPath]) },
                    set: { config, value in
                        guard let typed = unwrap(value) else {
                            preconditionFailure("\(path) is \(type.name), was given \(value)")
                        }
                        config[keyPath: keyPath] = typed
                    })
    }

    static func int(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, Int>) -> ConfigField {
        bind(path, .int, keyPath, wrap: ConfigValue.int) { if case .int(let v) = $0 { v } else { nil } }
    }

    static func float(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, Double>) -> ConfigField {
        bind(path, .float, keyPath, wrap: ConfigValue.float) { if case .float(let v) = $0 { v } else { nil } }
    }

    static func string(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, String>) -> ConfigField {
        bind(path, .string, keyPath, wrap: ConfigValue.string) { if case .string(let v) = $0 { v } else { nil } }
    }

    static func bool(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, Bool>) -> ConfigField {
        bind(path, .bool, keyPath, wrap: ConfigValue.bool) { if case .bool(let v) = $0 { v } else { nil } }
    }

    static func ints(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, [Int]>) -> ConfigField {
        bind(path, .intList, keyPath, wrap: ConfigValue.intList) { if case .intList(let v) = $0 { v } else { nil } }
    }

    static func floats(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, [Double]>) -> ConfigField {
        bind(path, .floatList, keyPath, wrap: ConfigValue.floatList) { if case .floatList(let v) = $0 { v } else { nil } }
    }

    static func strings(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, [String]>) -> ConfigField {
        bind(path, .stringList, keyPath, wrap: ConfigValue.stringList) { if case .stringList(let v) = $0 { v } else { nil } }
    }

    static func bools(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, [Bool]>) -> ConfigField {
        bind(path, .boolList, keyPath, wrap: ConfigValue.boolList) { if case .boolList(let v) = $0 { v } else { nil } }
    }

    static func float32s(_ path: String, _ keyPath: WritableKeyPath<MTAFConfig, [Float]>) -> ConfigField {
        bind(path, .float32Array, keyPath, wrap: ConfigValue.float32Array) { if case .float32Array(let v) = $0 { v } else { nil } }
    }
}
