// Helpers for the op and loss tests: a seeded random stream, naive Double references and
// central finite differences.

import XCTest
@testable import MTAFNet

/// Test inputs drawn from the library's own seeded stream.
extension RandomStream {
    /// Uniform in [lower, upper).
    mutating func uniform(_ lower: Float, _ upper: Float) -> Float {
        lower + (upper - lower) * nextUniform()
    }

    /// `count` uniform floats in [lower, upper).
    mutating func floats(_ count: Int, _ lower: Float = -2, _ upper: Float = 2) -> [Float] {
        (0..<count).map { _ in uniform(lower, upper) }
    }
}

/// Central finite differences of a Double function at `x` (step `h`).
func opsNumericGradient(_ x: [Float], h: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
    var point = x.map(Double.init)
    var grad = [Double](repeating: 0, count: x.count)
    for i in 0..<x.count {
        let saved = point[i]
        point[i] = saved + h
        let plus = f(point)
        point[i] = saved - h
        let minus = f(point)
        point[i] = saved
        grad[i] = (plus - minus) / (2 * h)
    }
    return grad
}

/// Asserts |actual − expected| ≤ tolerance elementwise, naming the first bad index.
func opsAssertClose(_ actual: [Float], _ expected: [Double], tolerance: Double, _ label: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(label): count", file: file, line: line)
    var worst = 0.0, firstBad = -1
    for i in 0..<min(actual.count, expected.count) {
        let d = abs(Double(actual[i]) - expected[i])
        if !(d <= tolerance) && firstBad < 0 { firstBad = i }
        worst = max(worst, d.isNaN ? .infinity : d)
    }
    if firstBad >= 0 {
        XCTFail("\(label): max abs diff \(worst) > \(tolerance); first bad index \(firstBad): "
                + "\(actual[firstBad]) vs \(expected[firstBad])", file: file, line: line)
    }
}

/// Softmax over channels of an NCHW Double array (naive reference).
func opsSoftmaxReference(_ x: [Double], n: Int, c: Int, hw: Int) -> [Double] {
    var out = x
    for b in 0..<n {
        for p in 0..<hw {
            var m = -Double.infinity
            for ch in 0..<c { m = max(m, x[(b * c + ch) * hw + p]) }
            var s = 0.0
            for ch in 0..<c { s += exp(x[(b * c + ch) * hw + p] - m) }
            for ch in 0..<c { out[(b * c + ch) * hw + p] = exp(x[(b * c + ch) * hw + p] - m) / s }
        }
    }
    return out
}
