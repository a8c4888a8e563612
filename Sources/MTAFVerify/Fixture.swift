// Fixture: one reference case, NAME.safetensors (inputs and expected.* tensors) with its
// NAME.json sidecar (hyper-parameters and per-tensor tolerances). Format: fixtures/README.md.

import Foundation
import MTAFNet

/// One reference case: its tensors and its sidecar.
///
/// Sidecar keys may be dotted paths into nested objects (`"hyper_parameters.LEARNING_RATE"`);
/// a key that exists literally at the top level wins.
public struct Fixture {
    /// The case name, the file stem (`op_conv_3x3d2`).
    public let name: String
    /// The safetensors file.
    public let path: String
    /// The JSON sidecar.
    public let sidecarPath: String
    /// The parsed tensors.
    public let file: SafeTensorsFile
    let sidecar: [String: Any]

    /// Loads a case from its safetensors file; the sidecar is the same path with `.json`.
    ///
    /// - Parameter path: `NAME.safetensors`.
    public init(contentsOf path: String) throws {
        let stemPath = path.hasSuffix(".safetensors") ? String(path.dropLast(".safetensors".count)) : path
        let sidecarPath = stemPath + ".json"
        self.path = path
        self.sidecarPath = sidecarPath
        self.name = stemPath.split(separator: "/").last.map(String.init) ?? stemPath
        do {
            self.file = try SafeTensorsFile(contentsOf: path)
        } catch let error as SafeTensorsError {
            throw FixtureError.badTensors(error)
        }
        guard let data = FileManager.default.contents(atPath: sidecarPath) else {
            throw FixtureError.badSidecar(file: sidecarPath, reason: "missing or unreadable")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw FixtureError.badSidecar(file: sidecarPath, reason: "invalid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw FixtureError.badSidecar(file: sidecarPath, reason: "the top level is not an object")
        }
        self.sidecar = dictionary
    }

    /// Loads `NAME.safetensors` (and `NAME.json`) from a directory.
    ///
    /// - Parameters:
    ///   - name: The case name.
    ///   - directory: The fixtures folder.
    public init(named name: String, in directory: URL) throws {
        try self.init(contentsOf: directory.appendingPathComponent(name + ".safetensors").path)
    }

    // MARK: Tensors

    /// All tensor names, sorted.
    public var keys: [String] { file.entries.keys.sorted() }

    /// The names of the expected tensors (`expected.*`), sorted.
    public var expectedKeys: [String] { keys.filter { $0.hasPrefix("expected.") } }

    /// Whether the case has a tensor of that name.
    public func hasTensor(_ key: String) -> Bool { file.contains(key) }

    /// An F32 tensor.
    ///
    /// - Parameter key: The tensor's name.
    public func tensor(_ key: String) throws -> Tensor {
        let entry = try entry(key)
        guard entry.dtype == .f32 else {
            throw FixtureError.wrongDType(file: path, tensor: key, dtype: entry.dtype.rawValue, wanted: "F32")
        }
        return try wrapping { try file.tensor(key) }
    }

    /// An I32 tensor (labels, 8-bit images).
    ///
    /// - Parameter key: The tensor's name.
    /// - Returns: The shape and the values, row-major.
    public func int32s(_ key: String) throws -> (shape: [Int], values: [Int32]) {
        let entry = try entry(key)
        guard entry.dtype == .i32 else {
            throw FixtureError.wrongDType(file: path, tensor: key, dtype: entry.dtype.rawValue, wanted: "I32")
        }
        return try wrapping { try file.int32s(key) }
    }

    /// Any tensor as Float32 (I32 values convert exactly); what `verify` compares against.
    ///
    /// - Parameter key: The tensor's name.
    public func floats(_ key: String) throws -> Tensor {
        _ = try entry(key)
        return try wrapping { try file.floats(key) }
    }

    /// The stored dtype and shape of a tensor.
    public func entry(_ key: String) throws -> SafeTensors.Entry {
        guard let entry = file.entries[key] else { throw FixtureError.missingTensor(file: path, tensor: key) }
        return entry
    }

    /// The absolute tolerance of an expected tensor: the sidecar's
    /// `observed_f32_noise[key].recommended_abs_tol`. Where the sidecar gives none, the README's
    /// formula with no observed noise: 0 for an I32 tensor (exact), else 1e-6 × max(1, max|ref|).
    ///
    /// - Parameter expectedKey: An `expected.*` tensor name.
    public func tolerance(for expectedKey: String) throws -> Float {
        if let noise = sidecar["observed_f32_noise"] as? [String: Any], let item = noise[expectedKey] {
            guard let fields = item as? [String: Any], let raw = fields["recommended_abs_tol"],
                  isPlainNumber(raw), let tol = raw as? NSNumber else {
                throw FixtureError.wrongType(file: sidecarPath, key: "observed_f32_noise.\(expectedKey).recommended_abs_tol",
                                             wanted: "a number")
            }
            return tol.floatValue
        }
        let entry = try entry(expectedKey)
        switch entry.dtype {
        case .i32, .i64, .u8:
            return 0
        case .f32, .f64, .bf16:
            let reference = try floats(expectedKey)
            let largest = reference.withUnsafeBufferPointer { $0.reduce(Float(0)) { max($0, abs($1)) } }
            return 1e-6 * max(1, largest)
        }
    }

    // MARK: Sidecar

    /// Whether the sidecar has the key (dotted paths reach into nested objects).
    public func has(_ key: String) -> Bool { lookup(key) != nil }

    /// The raw sidecar value (a JSON object, array, string, number or bool), or nil.
    public func value(_ key: String) -> Any? { lookup(key) }

    /// A string value.
    public func string(_ key: String) throws -> String {
        guard let value = try require(key) as? String else { throw wrongType(key, "a string") }
        return value
    }

    /// An integer value (a JSON number without a fractional part).
    public func int(_ key: String) throws -> Int {
        let value = try require(key)
        guard isPlainNumber(value), let number = value as? NSNumber,
              let integer = Int(exactly: number.doubleValue) else {
            throw wrongType(key, "an integer")
        }
        return integer
    }

    /// A number value.
    public func double(_ key: String) throws -> Double {
        let value = try require(key)
        guard isPlainNumber(value), let number = value as? NSNumber else { throw wrongType(key, "a number") }
        return number.doubleValue
    }

    /// A boolean value.
    public func bool(_ key: String) throws -> Bool {
        let value = try require(key)
        guard !isPlainNumber(value), let flag = value as? Bool else { throw wrongType(key, "a boolean") }
        return flag
    }

    /// An array of integers.
    public func intArray(_ key: String) throws -> [Int] {
        guard let items = try require(key) as? [Any] else { throw wrongType(key, "an array of integers") }
        return try items.map { item in
            guard isPlainNumber(item), let number = item as? NSNumber, let integer = Int(exactly: number.doubleValue) else {
                throw wrongType(key, "an array of integers")
            }
            return integer
        }
    }

    /// An array of numbers.
    public func doubleArray(_ key: String) throws -> [Double] {
        guard let items = try require(key) as? [Any] else { throw wrongType(key, "an array of numbers") }
        return try items.map { item in
            guard isPlainNumber(item), let number = item as? NSNumber else { throw wrongType(key, "an array of numbers") }
            return number.doubleValue
        }
    }

    /// An array of strings.
    public func stringArray(_ key: String) throws -> [String] {
        guard let items = try require(key) as? [String] else { throw wrongType(key, "an array of strings") }
        return items
    }

    // MARK: Private

    private func lookup(_ key: String) -> Any? {
        if let value = sidecar[key] { return value }
        var current: Any = sidecar
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            guard let object = current as? [String: Any], let next = object[String(part)] else { return nil }
            current = next
        }
        return current
    }

    private func require(_ key: String) throws -> Any {
        guard let value = lookup(key) else { throw FixtureError.missingKey(file: sidecarPath, key: key) }
        return value
    }

    private func wrongType(_ key: String, _ wanted: String) -> FixtureError {
        .wrongType(file: sidecarPath, key: key, wanted: wanted)
    }

    /// Whether a JSON value is a number and not a boolean.
    private func isPlainNumber(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) != "c"
    }

    private func wrapping<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SafeTensorsError {
            throw FixtureError.badTensors(error)
        }
    }
}
