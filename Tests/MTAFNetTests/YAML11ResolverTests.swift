import XCTest
@testable import MTAFNet

/// PyYAML's YAML 1.1 resolution (spec §6.1); the expected types were produced with PyYAML's
/// `yaml.safe_load`.
final class YAML11ResolverTests: XCTestCase {
    private func resolved(_ text: String) throws -> YAMLValue {
        guard let node = try YAMLReader.parse("k: \(text)", source: "test"), case .mapping(let pairs) = node.value else { XCTFail("not a mapping"); throw ConfigError.missingFile(path: "") }
        return pairs[0].value.value
    }

    func testPlainScalarsResolveAsPyYAML() throws {
        let floats: [(String, Double)] = [("0.001", 0.001), ("4.0", 4.0), ("2.5e-4", 2.5e-4), ("1:30.5", 90.5),
                                          (".5", 0.5), ("1.", 1.0), ("1.0e+5", 1e5), ("0.", 0), ("1__0.5", 10.5)]
        for (text, expected) in floats {
            guard case .float(let value) = try resolved(text) else { XCTFail("\(text) should be a float"); continue }
            XCTAssertEqual(value, expected, text)
        }
        let ints: [(String, Int)] = [("4", 4), ("-4", -4), ("+4", 4), ("010", 8), ("0x1F", 31), ("0b101", 5),
                                     ("1_000", 1000), ("1:30", 90), ("-0", 0)]
        for (text, expected) in ints {
            guard case .int(let value) = try resolved(text) else { XCTFail("\(text) should be an int"); continue }
            XCTAssertEqual(value, expected, text)
        }
        for text in ["1e-4", "2.5e4", "09", "tRue", "y", "n", "abc", "0o7", "1e+5"] {
            guard case .string(let value) = try resolved(text) else { XCTFail("\(text) should be a str"); continue }
            XCTAssertEqual(value, text)
        }
        let bools: [(String, Bool)] = [("True", true), ("true", true), ("TRUE", true), ("yes", true), ("No", false),
                                       ("on", true), ("OFF", false)]
        for (text, expected) in bools {
            guard case .bool(let value) = try resolved(text) else { XCTFail("\(text) should be a bool"); continue }
            XCTAssertEqual(value, expected, text)
        }
        for text in ["~", "null", "Null", ""] {
            guard case .null = try resolved(text) else { XCTFail("'\(text)' should be null"); continue }
        }
        guard case .float(let inf) = try resolved("-.inf"), inf == -.infinity else { return XCTFail("-.inf") }
        guard case .float(let nan) = try resolved(".NaN"), nan.isNaN else { return XCTFail(".NaN") }
        guard case .timestamp = try resolved("2001-12-14") else { return XCTFail("a date is a timestamp") }
    }

    func testQuotedAndTaggedScalars() throws {
        guard case .string("4") = try resolved("'4'") else { return XCTFail("quoted 4 is a str") }
        guard case .string("True") = try resolved("\"True\"") else { return XCTFail("quoted True is a str") }
        guard case .string("") = try resolved("''") else { return XCTFail("'' is the empty str") }
        guard case .string("4") = try resolved("!!str 4") else { return XCTFail("!!str 4") }
        guard case .float(4.0) = try resolved("!!float 4") else { return XCTFail("!!float 4") }
        guard case .int(4) = try resolved("!!int '4'") else { return XCTFail("!!int '4'") }
        XCTAssertThrowsError(try resolved("!!python/tuple [1, 2]"))
    }

    func testWriterFloatsReadBackAsFloats() throws {
        for value in [2.5e-4, 1e-4, 1e-5, 4.0, 0.0025, 1e20, 123456789.125, -3.5e-12] {
            let text = YAMLWriter.float(value)
            guard case .float(let back) = try resolved(text) else { XCTFail("\(text) is not a float"); continue }
            XCTAssertEqual(back, value, text)
        }
        for value: Float in [104.00698793, 116.66876762, 122.67891434] {
            guard case .float(let back) = try resolved(YAMLWriter.float32(value)) else { XCTFail("float32"); continue }
            XCTAssertEqual(Float(back), value)
        }
    }

    func testWriterStringsReadBackAsStrings() throws {
        for text in ["", "GTA", "1e-4", "09", "True", "yes", "~", "null", "4", "0.5", "a b", "it's", "data/{}.txt",
                     "../.../x.pth", "-x", "# not a comment", "line\nbreak", "tab\there", "Ünïcödé", ".inf", "2001-12-14"] {
            let yaml = YAMLWriter.string(text)
            guard case .string(let back) = try resolved(yaml) else { XCTFail("\(yaml) is not a str"); continue }
            XCTAssertEqual(back, text, yaml)
            guard case .list(let items) = try resolved("[\(yaml), x]"), case .string(let inList) = items[0].value else {
                XCTFail("\(yaml) in a flow list"); continue
            }
            XCTAssertEqual(inList, text, "in a list: \(yaml)")
        }
    }
}
