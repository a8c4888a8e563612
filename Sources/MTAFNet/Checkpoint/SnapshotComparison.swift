// Tensor-by-tensor comparison of one snapshot in two folders (the distributed equivalence checks
// of architecture §3, and a user tool: `mtaf-mpi compare-snapshots`).
//
// Rule for a Float32 tensor y (folder A) against x (folder B): element i passes when
// |y_i − x_i| ≤ tolerance · max(‖x‖_∞, ‖y‖_∞) — rounding from a different summation order
// (allreduce vs in-place accumulation) is relative to the size of the summed terms, which is the
// tensor's scale, not each element's. Integer tensors must be equal.
//
// Adam allowance: Adam-ill-conditioned discriminator elements (`AdamConditioning`, spec §4.6),
// found from folder A's `_state` file, may differ by up to `adamAllowance`.

import Foundation

/// The worst difference per file of a snapshot compared across two folders.
public struct SnapshotComparison: Sendable {
    /// One file's result.
    public struct FileResult: Sendable {
        /// The file name.
        public var file: String
        /// Tensors compared.
        public var tensors = 0
        /// The tensor with the worst ratio, its max |difference| and ratio to its tolerance.
        public var worstTensor = ""
        public var worstDifference = 0.0
        public var worstRatio = 0.0
        /// Elements beyond tolerance (after the Adam allowance).
        public var failures = 0
        /// Elements held to the Adam allowance instead, and the largest difference among them.
        public var allowanceElements = 0
        public var allowanceWorst = 0.0
        /// Names present in one folder only, or with different shapes or dtypes.
        public var problems: [String] = []

        /// Whether every element is within tolerance and nothing is missing.
        public var passed: Bool { failures == 0 && problems.isEmpty }
    }

    /// Compares every file of snapshot `iteration` that folder A's manifest lists.
    ///
    /// - Parameters:
    ///   - a: a snapshot folder (its manifest is read).
    ///   - b: the other folder.
    ///   - iteration: the snapshot's number.
    ///   - tolerance: the relative tolerance of the rule above.
    ///   - adamAllowance: the absolute allowance of Adam-ill-conditioned discriminator weights
    ///     (nil: no allowance).
    /// - Throws: `SnapshotError` or a safetensors error for an unreadable file or manifest.
    public static func compare(_ a: String, _ b: String, iteration: Int, tolerance: Double,
                               adamAllowance: Double?) throws -> [FileResult] {
        let manifest = try SnapshotStore(directory: a).readManifest(iteration: iteration)
        let stateName = "model_\(iteration)_state.safetensors"
        let state = try? SafeTensors.read(contentsOf: a + "/" + stateName)
        var results: [FileResult] = []
        for record in manifest.files {
            var result = FileResult(file: record.name)
            let fileA = try SafeTensors.read(contentsOf: a + "/" + record.name)
            let pathB = b + "/" + record.name
            guard FileManager.default.fileExists(atPath: pathB) else {
                result.problems.append("missing in \(b)")
                results.append(result)
                continue
            }
            let fileB = try SafeTensors.read(contentsOf: pathB)
            for name in Set(fileA.names).symmetricDifference(fileB.names).sorted() {
                result.problems.append("\(name) only in \(fileA.contains(name) ? a : b)")
            }
            let discriminatorKey = TrainingCheckpoint.discriminatorRole(ofFile: record.name, iteration: iteration)?.key
            for name in fileA.names.sorted() where fileB.contains(name) {
                let ea = try fileA.entry(name), eb = try fileB.entry(name)
                guard ea.dtype == eb.dtype, ea.shape == eb.shape else {
                    result.problems.append("\(name): \(ea.dtype) \(ea.shape) vs \(eb.dtype) \(eb.shape)")
                    continue
                }
                result.tensors += 1
                guard ea.dtype == .f32 else {
                    if try integers(fileA, name) != integers(fileB, name) {
                        result.problems.append("\(name): integer values differ")
                    }
                    continue
                }
                let x = try fileA.tensor(name).scalars, y = try fileB.tensor(name).scalars
                let scale = max(x.map { abs(Double($0)) }.max() ?? 0, y.map { abs(Double($0)) }.max() ?? 0)
                let allowed = tolerance * max(scale, 1e-30)
                var illConditioned: Set<Int> = []
                if let adamAllowance, adamAllowance > 0, let discriminatorKey, let state {
                    illConditioned = adamIllConditioned(state, key: discriminatorKey + "." + name)
                }
                var worst = 0.0
                for i in x.indices {
                    let difference = abs(Double(x[i]) - Double(y[i]))
                    if illConditioned.contains(i) {
                        result.allowanceElements += 1
                        result.allowanceWorst = max(result.allowanceWorst, difference)
                        if difference > adamAllowance! { result.failures += 1 }
                        continue
                    }
                    worst = max(worst, difference)
                    if difference > allowed || difference.isNaN { result.failures += 1 }
                }
                let ratio = worst / allowed
                if ratio >= result.worstRatio || result.worstTensor.isEmpty {
                    result.worstRatio = ratio
                    result.worstDifference = worst
                    result.worstTensor = name
                }
            }
            results.append(result)
        }
        return results
    }

    /// The Adam-ill-conditioned elements of discriminator parameter `key` (its `exp_avg_sq` and
    /// `step` in the state file).
    static func adamIllConditioned(_ state: SafeTensorsFile, key: String) -> Set<Int> {
        guard let v = try? state.tensor(key + ".exp_avg_sq").scalars,
              let steps = try? state.int64s(key + ".step").values.first else { return [] }
        return Set(v.indices.filter { AdamConditioning.isIllConditioned(secondMoment: v[$0], steps: steps) })
    }

    private static func integers(_ file: SafeTensorsFile, _ name: String) throws -> [Int64] {
        switch try file.entry(name).dtype {
        case .i64: return try file.int64s(name).values
        case .i32: return try file.int32s(name).values.map { Int64($0) }
        case .u8: return try file.uint8s(name).values.map { Int64($0) }
        default: return []
        }
    }
}
