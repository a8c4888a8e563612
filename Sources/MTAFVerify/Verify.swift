// verify: run a fixture through the runner that handles it and compare every expected.* tensor
// with the sidecar's per-tensor tolerance (Tests/MTAFNetTests/Fixtures/README.md, "Conventions").

import MTAFNet

/// Runs a case through the one runner that handles it and compares every expected tensor.
/// Under bf16 convolutions (`ConvolutionPrecision.current`) each tolerance grows by the runner's
/// `bf16Bound`, or the comparison is informational where the runner derives none.
///
/// A case fails when no runner (or more than one) handles it, when the runner throws, when it
/// has no expected tensors, or when any expected tensor is missing from the runner's output, has
/// another shape (extents of 1 aside) or differs by more than its tolerance anywhere.
///
/// - Parameters:
///   - fixture: The case.
///   - runners: The candidate runners.
/// - Returns: The report.
public func verify(_ fixture: Fixture, runners: [any FixtureRunner.Type] = FixtureRunners.all) -> FixtureReport {
    let expectedKeys = fixture.expectedKeys
    guard !expectedKeys.isEmpty else {
        return FixtureReport(fixture: fixture.name, tensors: [], error: "the case has no expected.* tensors")
    }
    let handling = runners.filter { $0.handles(fixture) }
    guard let runner = handling.first else {
        return FixtureReport(fixture: fixture.name, tensors: [],
                             error: "no runner handles this case (\(caseKind(fixture)))")
    }
    guard handling.count == 1 else {
        return FixtureReport(fixture: fixture.name, tensors: [],
                             error: "several runners handle this case (\(caseKind(fixture))): "
                                 + handling.map { String(describing: $0) }.joined(separator: ", "))
    }
    let outputs: [String: Tensor]
    let allowances: [String: ElementAllowance]
    var bound = BF16Bound.unaffected
    do {
        outputs = try runner.run(fixture)
        allowances = try runner.allowances(fixture)
        if ConvolutionPrecision.current == .bf16 { bound = try runner.bf16Bound(fixture) }
    } catch {
        return FixtureReport(fixture: fixture.name, tensors: [],
                             error: "\(String(describing: runner)) threw: \(error)")
    }
    var results: [FixtureReport.TensorResult] = []
    for key in expectedKeys {
        do {
            let expected = try fixture.floats(key)
            var tolerance = try fixture.tolerance(for: key)
            if case .added(let extra) = bound { tolerance += extra[key] ?? 0 }
            var result = compare(name: key, actual: outputs[key], expected: expected, tolerance: tolerance,
                                 allowance: allowances[key])
            if case .compound = bound { result.informational = true }
            results.append(result)
        } catch {
            results.append(FixtureReport.TensorResult(
                name: key, maxAbsError: .infinity, tolerance: 0, ratio: .infinity, firstBadIndex: nil,
                firstBadValues: nil, problem: "\(error)", passed: false))
        }
    }
    return FixtureReport(fixture: fixture.name, tensors: results, error: nil)
}

/// Loads a case from `NAME.safetensors` (sidecar `NAME.json`) and verifies it; a case that cannot
/// be loaded gives a failed report carrying the error.
///
/// - Parameters:
///   - path: The safetensors file.
///   - runners: The candidate runners.
public func verify(contentsOf path: String, runners: [any FixtureRunner.Type] = FixtureRunners.all) -> FixtureReport {
    do {
        return verify(try Fixture(contentsOf: path), runners: runners)
    } catch {
        let stem = path.split(separator: "/").last.map(String.init) ?? path
        let name = stem.hasSuffix(".safetensors") ? String(stem.dropLast(".safetensors".count)) : stem
        return FixtureReport(fixture: name, tensors: [], error: "\(error)")
    }
}

/// Compares one tensor with its reference.
///
/// - Parameters:
///   - name: The expected tensor's name.
///   - actual: What the runner returned, or nil.
///   - expected: The reference values.
///   - tolerance: The largest allowed absolute difference.
///   - allowance: Elements with a looser tolerance (the ratio of each element is taken against
///     its own tolerance).
/// - Returns: The comparison.
public func compare(name: String, actual: Tensor?, expected: Tensor, tolerance: Float,
                    allowance: ElementAllowance? = nil) -> FixtureReport.TensorResult {
    let tol = Double(tolerance)
    guard let actual else {
        return FixtureReport.TensorResult(
            name: name, maxAbsError: .infinity, tolerance: tol, ratio: .infinity, firstBadIndex: nil,
            firstBadValues: nil, problem: "missing output", passed: false)
    }
    guard actual.count == expected.count,
          actual.shape.filter({ $0 != 1 }) == expected.shape.filter({ $0 != 1 }) else {
        return FixtureReport.TensorResult(
            name: name, maxAbsError: .infinity, tolerance: tol, ratio: .infinity, firstBadIndex: nil,
            firstBadValues: nil, problem: "shape \(actual.shape), expected \(expected.shape)", passed: false)
    }
    var maxError = 0.0, worstRatio = 0.0
    var firstBad = -1
    let looser = max(tol, Double(allowance?.tolerance ?? 0))
    actual.withUnsafeBufferPointer { a in
        expected.withUnsafeBufferPointer { e in
            for i in 0..<a.count {
                var difference = abs(Double(a[i]) - Double(e[i]))
                if difference.isNaN { difference = .infinity }
                let elementTolerance = allowance?.indices.contains(i) == true ? looser : tol
                let ratio = difference == 0 ? 0 : (elementTolerance == 0 ? .infinity : difference / elementTolerance)
                maxError = max(maxError, difference)
                worstRatio = max(worstRatio, ratio)
                if firstBad < 0 && difference > elementTolerance { firstBad = i }
            }
        }
    }
    let ratio = worstRatio
    let index = firstBad >= 0 ? expected.multiIndex(firstBad) : nil
    let values = firstBad >= 0
        ? (expected: expected.withUnsafeBufferPointer { $0[firstBad] }, actual: actual.withUnsafeBufferPointer { $0[firstBad] })
        : nil
    return FixtureReport.TensorResult(
        name: name, maxAbsError: maxError, tolerance: tol, ratio: ratio, firstBadIndex: index,
        firstBadValues: values,
        problem: allowance.map { "\($0.indices.count) element(s) at tolerance \($0.tolerance): \($0.reason)" },
        passed: firstBad < 0)
}

/// "op=conv2d", or for cases without an op the keys that identify them.
private func caseKind(_ fixture: Fixture) -> String {
    var parts = ["op=" + ((try? fixture.string("op")) ?? "none")]
    for key in ["model", "framework", "optimizer", "pipeline"] {
        if let value = try? fixture.string(key) { parts.append("\(key)=\(value)") }
    }
    return parts.joined(separator: ", ")
}
