/// The outcome of running one fixture: one result per expected tensor, plus a case-level error
/// (no runner, runner threw, unreadable case, no expected tensors).
public struct FixtureReport: Sendable, CustomStringConvertible {
    /// The comparison of one expected tensor with what the runner computed.
    public struct TensorResult: Sendable, CustomStringConvertible {
        /// The expected tensor's name (`expected.output`).
        public let name: String
        /// The largest |actual − expected| (infinity for a NaN, a missing output or a shape mismatch).
        public let maxAbsError: Double
        /// The tensor's tolerance from the sidecar.
        public let tolerance: Double
        /// The worst element's error over its tolerance (0 when both are 0, infinity when only the
        /// tolerance is 0); `passed` iff it is at most 1.
        public let ratio: Double
        /// The multi-index of the first element beyond the tolerance, if any.
        public let firstBadIndex: [Int]?
        /// The expected and actual values at `firstBadIndex`.
        public let firstBadValues: (expected: Float, actual: Float)?
        /// Why the tensor could not be compared (missing output, shape mismatch), or which of its
        /// elements were held to a runner's looser allowance.
        public let problem: String?
        /// Whether every element is within the tolerance.
        public let passed: Bool
        /// Reported for information only, not passed or failed: a bf16 run of a case whose
        /// deviation has no derived bound (`BF16Bound.compound`); `tolerance` is the FP32 one.
        public var informational = false

        public var description: String {
            var text = "\(informational ? "INFO" : passed ? "OK  " : "FAIL") \(name): max abs error \(shortNumber(maxAbsError)), "
                + "tolerance \(shortNumber(tolerance)), ratio \(shortNumber(ratio))"
            if let problem { text += " [\(problem)]" }
            if let index = firstBadIndex, let values = firstBadValues {
                text += ", first bad index \(index) (expected \(values.expected), got \(values.actual))"
            }
            return text
        }
    }

    /// The case name.
    public let fixture: String
    /// One result per expected tensor, in name order.
    public let tensors: [TensorResult]
    /// A failure of the whole case, if any.
    public let error: String?

    /// Creates a report.
    public init(fixture: String, tensors: [TensorResult], error: String?) {
        self.fixture = fixture
        self.tensors = tensors
        self.error = error
    }

    /// Whether the case ran and every expected tensor passed (and there was at least one).
    public var passed: Bool { error == nil && !tensors.isEmpty && tensors.allSatisfy { $0.passed || $0.informational } }

    /// The failing tensors.
    public var failures: [TensorResult] { tensors.filter { !$0.passed && !$0.informational } }

    public var description: String {
        var lines = ["\(fixture): \(passed ? "passed" : "FAILED")"]
        if let error { lines.append("  error: \(error)") }
        lines += tensors.map { "  " + $0.description }
        return lines.joined(separator: "\n")
    }
}

/// A short rendering of an error or tolerance.
private func shortNumber(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return "inf" }
    if value == 0 { return "0" }
    let magnitude = abs(value)
    if magnitude >= 1e-3 && magnitude < 1e4 {
        var text = String(value)
        if text.count > 9 { text = String(text.prefix(9)) }
        return text
    }
    // Scientific with 3 significant digits.
    var exponent = Int((log10(magnitude)).rounded(.down))
    var mantissa = value / pow(10, Double(exponent))
    mantissa = (mantissa * 100).rounded() / 100
    if abs(mantissa) >= 10 { mantissa /= 10; exponent += 1 }
    return "\(mantissa)e\(exponent)"
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
