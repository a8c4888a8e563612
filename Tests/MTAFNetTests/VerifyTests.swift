import Foundation
import XCTest
@testable import MTAFNet
import MTAFVerify

/// A test-only runner for cases with op "test_negate": returns −input as `expected.output`,
/// plus `perturb` (sidecar: [flat index, amount]) added to one element, and NaN where `nan_at`
/// says; it never returns `expected.extra`.
enum NegateRunner: FixtureRunner {
    static func handles(_ fixture: Fixture) -> Bool { (try? fixture.string("op")) == "test_negate" }

    static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        let input = try fixture.tensor("input")
        let output = Tensor(shape: input.shape)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for i in 0..<x.count { y[i] = -x[i] }
            }
        }
        if fixture.has("perturb") {
            let perturb = try fixture.doubleArray("perturb")
            output.withUnsafeMutableBufferPointer { $0[Int(perturb[0])] += Float(perturb[1]) }
        }
        if fixture.has("nan_at") {
            let index = try fixture.int("nan_at")
            output.withUnsafeMutableBufferPointer { $0[index] = .nan }
        }
        if fixture.has("flat_output") {
            return ["expected.output": output.reshaped([output.count])]
        }
        return ["expected.output": output]
    }
}

/// Handles the same cases as `NegateRunner`, to test ambiguity.
enum ShadowRunner: FixtureRunner {
    static func handles(_ fixture: Fixture) -> Bool { NegateRunner.handles(fixture) }
    static func run(_ fixture: Fixture) throws -> [String: Tensor] { [:] }
}

/// Handles op "test_throw" and throws.
enum ThrowingRunner: FixtureRunner {
    static func handles(_ fixture: Fixture) -> Bool { (try? fixture.string("op")) == "test_throw" }
    static func run(_ fixture: Fixture) throws -> [String: Tensor] {
        throw FixtureError.unsupported(file: fixture.path, reason: "not today")
    }
}

/// `verify`: pass, fail with max error and first bad index, missing output, no runner, etc.
final class VerifyTests: XCTestCase {
    let runners: [any FixtureRunner.Type] = [NegateRunner.self, ThrowingRunner.self]
    var cases: TemporaryFixtures!
    let input = Tensor(shape: [2, 3], values: [1, -2, 3, -4, 5, -6])

    override func setUpWithError() throws {
        cases = try TemporaryFixtures()
    }

    override func tearDown() {
        cases = nil
    }

    /// Writes a negate case; `extra` adds sidecar keys, `tensors` adds tensors.
    func negateCase(_ name: String, op: String = "test_negate", tolerance: Double = 1e-6,
                    extra: [String: Any] = [:], tensors: [String: SafeTensors.Value] = [:]) throws -> Fixture {
        let expected = Tensor(shape: input.shape, values: input.scalars.map { -$0 })
        var sidecar: [String: Any] = [
            "op": op,
            "observed_f32_noise": ["expected.output": ["max_abs": 0.0, "max_abs_ref": 6.0, "recommended_abs_tol": tolerance]],
        ]
        sidecar.merge(extra) { $1 }
        var all: [String: SafeTensors.Value] = ["input": .f32(input), "expected.output": .f32(expected)]
        all.merge(tensors) { $1 }
        return try Fixture(contentsOf: cases.write(name, tensors: all, sidecar: sidecar))
    }

    func testPasses() throws {
        let report = verify(try negateCase("negate"), runners: runners)
        XCTAssertTrue(report.passed, "\(report)")
        XCTAssertNil(report.error)
        XCTAssertEqual(report.tensors.map(\.name), ["expected.output"])
        XCTAssertEqual(report.tensors[0].maxAbsError, 0)
        XCTAssertEqual(report.tensors[0].ratio, 0)
        XCTAssertEqual(report.tensors[0].tolerance, Double(Float(1e-6)))
        XCTAssertNil(report.tensors[0].firstBadIndex)
    }

    func testFailureReportsMaxErrorAndFirstBadIndex() throws {
        // Element (1, 1) is off by 0.5, element (0, 2) by 1e-7 (within tolerance).
        let fixture = try negateCase("off", extra: ["perturb": [4, 0.5]])
        let report = verify(fixture, runners: runners)
        XCTAssertFalse(report.passed)
        let result = report.tensors[0]
        XCTAssertFalse(result.passed)
        XCTAssertEqual(result.maxAbsError, 0.5, accuracy: 1e-6)
        XCTAssertEqual(result.firstBadIndex, [1, 1])
        XCTAssertEqual(result.firstBadValues?.expected, -5)
        XCTAssertEqual(result.firstBadValues?.actual, -4.5)
        XCTAssertEqual(result.ratio, 0.5 / Double(Float(1e-6)), accuracy: 1)
        XCTAssertTrue(report.description.contains("first bad index [1, 1]"), report.description)
        // Within a looser tolerance it passes.
        XCTAssertTrue(verify(try negateCase("loose", tolerance: 0.6, extra: ["perturb": [4, 0.5]]), runners: runners).passed)
    }

    func testFlattenedOutputWithSameCountFailsOnShape() throws {
        let report = verify(try negateCase("flat", extra: ["flat_output": true]), runners: runners)
        XCTAssertFalse(report.passed)
        XCTAssertTrue(report.tensors[0].problem?.contains("shape") ?? false)
    }

    func testNaNFails() throws {
        let report = verify(try negateCase("nan", extra: ["nan_at": 2]), runners: runners)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.tensors[0].firstBadIndex, [0, 2])
        XCTAssertEqual(report.tensors[0].maxAbsError, .infinity)
    }

    func testMissingOutputFails() throws {
        let fixture = try negateCase("missing", tensors: ["expected.extra": .f32(Tensor(shape: [1]))])
        let report = verify(fixture, runners: runners)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.tensors.map(\.name), ["expected.extra", "expected.output"])
        XCTAssertFalse(report.tensors[0].passed)
        XCTAssertEqual(report.tensors[0].problem, "missing output")
        XCTAssertTrue(report.tensors[1].passed)
        XCTAssertEqual(report.failures.map(\.name), ["expected.extra"])
    }

    func testNoRunnerFails() throws {
        let report = verify(try negateCase("unknown", op: "test_unknown"), runners: runners)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.error, "no runner handles this case (op=test_unknown)")
        // A real fixture with an empty runner list.
        let conv = verify(try loadFixture("op_conv_3x3d2"), runners: [])
        XCTAssertEqual(conv.error, "no runner handles this case (op=conv2d)")
    }

    func testAmbiguousOrThrowingRunnerFails() throws {
        let ambiguous = verify(try negateCase("twice"), runners: [NegateRunner.self, ShadowRunner.self])
        XCTAssertFalse(ambiguous.passed)
        XCTAssertTrue(ambiguous.error?.contains("several runners") ?? false, "\(ambiguous)")
        let thrown = verify(try negateCase("throws", op: "test_throw"), runners: runners)
        XCTAssertFalse(thrown.passed)
        XCTAssertTrue(thrown.error?.contains("not today") ?? false, "\(thrown)")
    }

    func testCaseWithoutExpectedTensorsFails() throws {
        let path = try cases.write("empty", tensors: ["input": .f32(input)], sidecar: ["op": "test_negate"])
        let report = verify(try Fixture(contentsOf: path), runners: runners)
        XCTAssertFalse(report.passed)
        XCTAssertNotNil(report.error)
    }

    func testIntegerExpectedTensorsAreExact() throws {
        // An I32 expected tensor with no tolerance in the sidecar must match exactly.
        let expected = Tensor(shape: input.shape, values: input.scalars.map { -$0 })
        let path = try cases.write("ints", tensors: [
            "input": .f32(input),
            "expected.output": .i32(shape: [2, 3], values: expected.scalars.map { Int32($0) }),
        ], sidecar: ["op": "test_negate"])
        XCTAssertTrue(verify(try Fixture(contentsOf: path), runners: runners).passed)
        let off = try cases.write("ints_off", tensors: [
            "input": .f32(input),
            "expected.output": .i32(shape: [2, 3], values: [-1, 2, -3, 4, -5, 7]),
        ], sidecar: ["op": "test_negate"])
        let report = verify(try Fixture(contentsOf: off), runners: runners)
        XCTAssertEqual(report.tensors[0].firstBadIndex, [1, 2])
        XCTAssertEqual(report.tensors[0].tolerance, 0)
        XCTAssertEqual(report.tensors[0].ratio, .infinity)
    }

    func testVerifyFileReportsLoadErrors() throws {
        let report = verify(contentsOf: cases.directory.appendingPathComponent("absent.safetensors").path, runners: runners)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.fixture, "absent")
        XCTAssertTrue(report.error?.contains("absent.safetensors") ?? false, "\(report)")
    }
}
