import Foundation

// YAMLWriter: renders configuration values as YAML that PyYAML and our loader read back to the
// same values (YAML 1.1 rules, spec §6.1): floats always carry a dot and a signed exponent,
// strings are quoted when they would otherwise resolve to another type or need escaping.

/// YAML rendering of configuration values.
enum YAMLWriter {
    /// A Double as a YAML 1.1 float (`0.00025`, `1.0e-05`, `4.0`, `.inf`, `.nan`).
    static func float(_ value: Double) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        return fix(value.description)
    }

    /// A Float as a YAML 1.1 float, shortest text that reads back to the same Float.
    static func float32(_ value: Float) -> String {
        if value.isNaN { return ".nan" }
        if value.isInfinite { return value < 0 ? "-.inf" : ".inf" }
        return fix(value.description)
    }

    /// Swift's shortest round-trip text, made to match PyYAML's float pattern: a dot in the
    /// mantissa and a sign in the exponent.
    private static func fix(_ text: String) -> String {
        var mantissa = text, exponent = ""
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = String(text[..<e])
            exponent = String(text[text.index(after: e)...])
            if !exponent.hasPrefix("-") && !exponent.hasPrefix("+") { exponent = "+" + exponent }
            exponent = "e" + exponent
        }
        if !mantissa.contains(".") { mantissa += ".0" }
        return mantissa + exponent
    }

    /// A string, plain when that reads back as the same string, else single-quoted.
    static func string(_ value: String) -> String {
        let safe = !value.isEmpty
            && value.unicodeScalars.allSatisfy { scalar in
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || "_./+-".unicodeScalars.contains(scalar)
            }
            && !"-+".contains(value.first!)
            && YAML11Resolver.implicitTag(of: value) == "str"
        if safe { return value }
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
            var escaped = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": escaped += "\\\""
                case "\\": escaped += "\\\\"
                case "\n": escaped += "\\n"
                case "\t": escaped += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                        escaped += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                            + String(scalar.value, radix: 16)
                    } else {
                        escaped.unicodeScalars.append(scalar)
                    }
                }
            }
            return escaped + "\""
        }
        return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A value in flow style (`4`, `0.001`, `'x'`, `[a, b]`, `True`).
    static func flow(_ value: ConfigValue) -> String {
        func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
        switch value {
        case .int(let v): return String(v)
        case .float(let v): return float(v)
        case .string(let v): return string(v)
        case .bool(let v): return v ? "True" : "False"
        case .intList(let v): return list(v.map { String($0) })
        case .floatList(let v): return list(v.map(float))
        case .stringList(let v): return list(v.map(string))
        case .boolList(let v): return list(v.map { $0 ? "True" : "False" })
        case .float32Array(let v): return list(v.map(float32))
        }
    }
}
