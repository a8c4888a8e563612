// ConfigValue: the typed value of one configuration key, as the merge (spec §6.1) stores it and
// the writer renders it.

/// The value of one configuration key.
public enum ConfigValue: Equatable, Sendable {
    case int(Int)
    case float(Double)
    case string(String)
    case bool(Bool)
    case intList([Int])
    case floatList([Double])
    case stringList([String])
    case boolList([Bool])
    /// A float32 array (upstream's numpy IMG_MEAN).
    case float32Array([Float])
}
