import Foundation
import XCTest
@testable import MTAFNet
import MTAFVerify

/// Writes throw-away fixture cases (NAME.safetensors + NAME.json) into a temporary folder.
final class TemporaryFixtures {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fixtures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Writes a case and returns the path of its safetensors file.
    @discardableResult
    func write(_ name: String, tensors: [String: SafeTensors.Value], sidecar: [String: Any]) throws -> String {
        let path = directory.appendingPathComponent(name + ".safetensors").path
        try SafeTensors.write(tensors, to: path)
        let json = try JSONSerialization.data(withJSONObject: sidecar, options: [.sortedKeys])
        try json.write(to: directory.appendingPathComponent(name + ".json"))
        return path
    }
}

/// `Fixture`: loading, tensor and sidecar accessors, tolerances, errors naming file and key.
final class FixtureTests: XCTestCase {
    func testRealFixtureLoads() throws {
        let fixture = try loadFixture("op_conv_3x3d2")
        XCTAssertEqual(fixture.name, "op_conv_3x3d2")
        XCTAssertEqual(fixture.expectedKeys, ["expected.grad_input", "expected.grad_weight", "expected.output"])
        XCTAssertEqual(fixture.keys.count, 6)
        XCTAssertEqual(try fixture.string("op"), "conv2d")
        XCTAssertEqual(try fixture.int("kernel"), 3)
        XCTAssertEqual(try fixture.int("dilation"), 2)
        XCTAssertEqual(try fixture.bool("bias"), false)
        XCTAssertEqual(try fixture.tensor("input").shape, [2, 6, 11, 14])
        XCTAssertEqual(try fixture.tolerance(for: "expected.output"), Float(1.6147455594861526e-05))
        XCTAssertTrue(fixture.hasTensor("weight"))
        XCTAssertFalse(fixture.hasTensor("bias"))
    }

    func testEveryShippedFixtureLoadsWithTolerances() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixturesDirectory.path)
            .filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 40)
        for name in names {
            let fixture = try loadFixture(name)
            XCTAssertFalse(fixture.expectedKeys.isEmpty, name)
            for key in fixture.expectedKeys {
                let tolerance = try fixture.tolerance(for: key)
                let isInteger = try fixture.entry(key).dtype == .i32
                XCTAssertTrue(isInteger ? tolerance == 0 : tolerance > 0, "\(name) \(key) \(tolerance)")
            }
        }
    }

    func testNestedSidecarKeysAndIntegerTensors() throws {
        let train = try loadFixture("train_mtkt_T3")
        XCTAssertEqual(try train.double("hyper_parameters.LEARNING_RATE"), 0.01)
        XCTAssertEqual(try train.bool("hyper_parameters.MULTI_LEVEL"), true)
        XCTAssertEqual(try train.int("hyper_parameters.MAX_ITERS"), 10)
        XCTAssertEqual(try train.intArray("input_size_hw"), [33, 65])
        XCTAssertEqual(try train.stringArray("discriminators").count, 6)
        XCTAssertTrue(train.has("hyper_parameters.POWER"))

        let data = try loadFixture("data_preprocess_pil")
        let label = try data.int32s("label_u8")
        XCTAssertEqual(label.shape, [37, 53])
        XCTAssertEqual(label.values.count, 37 * 53)
        XCTAssertEqual(try data.doubleArray("img_mean_bgr").count, 3)
        // No observed_f32_noise in this sidecar: I32 tensors are exact, F32 ones get 1e-6 × max(1, max|ref|).
        XCTAssertEqual(try data.tolerance(for: "expected.20x31.label_resized"), 0)
        let preprocessed = try data.tensor("expected.20x31.image_preprocessed")
        let largest = preprocessed.scalars.map(abs).max()!
        XCTAssertEqual(try data.tolerance(for: "expected.20x31.image_preprocessed"), 1e-6 * max(1, largest))
    }

    func testErrorsNameFileAndKey() throws {
        let fixture = try loadFixture("op_relu")
        XCTAssertThrowsError(try fixture.int("kernel")) {
            XCTAssertTrue("\($0)".contains("op_relu.json") && "\($0)".contains("'kernel'"), "\($0)")
        }
        XCTAssertThrowsError(try fixture.int("op")) {
            guard case .wrongType(_, "op", _)? = $0 as? FixtureError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try fixture.tensor("nothere")) {
            XCTAssertTrue("\($0)".contains("op_relu.safetensors") && "\($0)".contains("'nothere'"), "\($0)")
        }
        let data = try loadFixture("data_preprocess_pil")
        XCTAssertThrowsError(try data.tensor("label_u8")) {
            guard case .wrongDType(_, "label_u8", "I32", "F32")? = $0 as? FixtureError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try data.int32s("expected.20x31.image_preprocessed"))
    }

    func testAccessorTypesAreStrict() throws {
        let cases = try TemporaryFixtures()
        let path = try cases.write("types", tensors: ["x": .f32(Tensor(shape: [1]))], sidecar: [
            "flag": true, "half": 0.5, "three": 3, "name": "n", "ints": [1, 2], "mixed": [1, 0.5],
            "nested": ["deep": ["value": 4]],
        ])
        let fixture = try Fixture(contentsOf: path)
        XCTAssertEqual(try fixture.int("three"), 3)
        XCTAssertEqual(try fixture.double("three"), 3)
        XCTAssertEqual(try fixture.double("half"), 0.5)
        XCTAssertEqual(try fixture.int("nested.deep.value"), 4)
        XCTAssertEqual(try fixture.intArray("ints"), [1, 2])
        XCTAssertEqual(try fixture.doubleArray("mixed"), [1, 0.5])
        XCTAssertThrowsError(try fixture.int("half"))
        XCTAssertThrowsError(try fixture.int("flag"))
        XCTAssertThrowsError(try fixture.bool("three"))
        XCTAssertThrowsError(try fixture.double("flag"))
        XCTAssertThrowsError(try fixture.intArray("mixed"))
        XCTAssertThrowsError(try fixture.string("three"))
        XCTAssertThrowsError(try fixture.int("nested.missing"))
        XCTAssertTrue(fixture.has("nested.deep"))
        XCTAssertFalse(fixture.has("nested.none"))
    }

    func testMissingOrBrokenSidecar() throws {
        let cases = try TemporaryFixtures()
        let path = try cases.write("lonely", tensors: ["x": .f32(Tensor(shape: [1]))], sidecar: [:])
        try FileManager.default.removeItem(atPath: cases.directory.appendingPathComponent("lonely.json").path)
        XCTAssertThrowsError(try Fixture(contentsOf: path)) {
            guard case .badSidecar? = $0 as? FixtureError else { return XCTFail("\($0)") }
        }
        try Data("[1]".utf8).write(to: cases.directory.appendingPathComponent("lonely.json"))
        XCTAssertThrowsError(try Fixture(contentsOf: path)) {
            guard case .badSidecar? = $0 as? FixtureError else { return XCTFail("\($0)") }
        }
    }
}
