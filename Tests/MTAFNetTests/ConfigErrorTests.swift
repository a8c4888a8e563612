import Foundation
import XCTest
@testable import MTAFNet

/// Error messages (spec §6.1) and `--set` overrides.
final class ConfigErrorTests: XCTestCase {
    private func error(_ yaml: String, overrides: [String] = []) -> ConfigError? {
        do {
            _ = try MTAFConfig.load(yaml: yaml, source: "t.yml", overrides: overrides)
            return nil
        } catch {
            return error
        }
    }

    func testUnknownKeyNamesPathAndNearestKey() {
        XCTAssertEqual(error("TRAIN:\n  LEARNING_RAT: 0.1\n"),
                       .unknownKey(source: "t.yml", location: "2:3", key: "LEARNING_RAT", path: "TRAIN.LEARNING_RAT",
                                   suggestion: "TRAIN.LEARNING_RATE"))
        XCTAssertEqual("\(error("TRAIN:\n  LEARNING_RAT: 0.1\n")!)",
                       "t.yml:2:3: LEARNING_RAT is not a valid config key (path TRAIN.LEARNING_RAT); did you mean TRAIN.LEARNING_RATE?")
        // A key of another section is suggested by its full path.
        XCTAssertEqual(error("EARLY_STOP: 10\n"),
                       .unknownKey(source: "t.yml", location: "1:1", key: "EARLY_STOP", path: "EARLY_STOP",
                                   suggestion: "TRAIN.EARLY_STOP"))
        guard case .unknownKey(_, _, _, _, let suggestion)? = error("TARGET5: [a]\n") else { return XCTFail() }
        XCTAssertEqual(suggestion, "TARGETS")
        guard case .unknownKey(_, _, _, let path, let lower)? = error("train: {}\n") else { return XCTFail() }
        XCTAssertEqual(path, "train")
        XCTAssertEqual(lower, "TRAIN")
        guard case .unknownKey(_, _, "1", _, _)? = error("1: x\n") else { return XCTFail("a non-string key is unknown") }
    }

    func testTypeMismatchNamesBothTypes() {
        let e = error("TRAIN:\n  LEARNING_RATE: 1e-4\n")
        guard case .typeMismatch("t.yml", "2:18", "TRAIN.LEARNING_RATE", "a float", "a str", "'1e-4'", let hint?)? = e else {
            return XCTFail("\(String(describing: e))")
        }
        XCTAssertTrue(hint.contains("1.0e-4"))
        XCTAssertTrue("\(e!)".hasPrefix("t.yml:2:18: type mismatch for config key TRAIN.LEARNING_RATE: the default is a float, "
            + "the value '1e-4' is a str"), "\(e!)")
        guard case .typeMismatch(_, _, "TRAIN.LAMBDA_SEG_MAIN", "a float", "an int", _, let intHint?)? =
                error("TRAIN: {LAMBDA_SEG_MAIN: 4}\n") else { return XCTFail() }
        XCTAssertTrue(intHint.contains("4.0"))
        guard case .typeMismatch(_, _, "TRAIN.EARLY_STOP", "an int", "a float", _, _)? =
                error("TRAIN: {EARLY_STOP: 4.0}\n") else { return XCTFail() }
        guard case .typeMismatch(_, _, "TRAIN.AMP", "a bool", "a str", _, _)? =
                error("TRAIN: {AMP: 'True'}\n") else { return XCTFail() }
        guard case .typeMismatch(_, _, "SOURCE", "a str", "null (None)", _, _)? = error("SOURCE:\n") else { return XCTFail() }
        guard case .typeMismatch(_, _, "TARGETS", "a list of strs", "a str", _, _)? =
                error("TARGETS: Cityscapes\n") else { return XCTFail() }
        guard case .typeMismatch(_, _, "TARGETS[1]", "a str", "an int", _, _)? =
                error("TARGETS: [Cityscapes, 3]\n") else { return XCTFail() }
        guard case .typeMismatch(_, _, "TRAIN", "a section (a mapping of keys)", "an int", _, _)? =
                error("TRAIN: 3\n") else { return XCTFail() }
        XCTAssertNil(error("TRAIN: {IMG_MEAN: [1, 2.5, 3]}\n"), "IMG_MEAN takes a list of numbers")
        XCTAssertNil(error("TEST: {MODEL_WEIGHT: [1]}\n"), "a float list takes ints")
        XCTAssertNil(error("TRAIN: {LEARNING_RATE: 2.5e-4, AMP: yes, MULTI_LEVEL: off}\n"))
    }

    func testMissingAndUnreadableFiles() {
        XCTAssertThrowsError(try MTAFConfig.load(file: "no/such/config.yml")) { error in
            XCTAssertEqual(error as? ConfigError, .missingFile(path: "no/such/config.yml"))
            XCTAssertTrue("\(error)".contains("no/such/config.yml does not exist"))
        }
        XCTAssertThrowsError(try MTAFConfig.load(file: NSTemporaryDirectory())) { error in
            guard case .unreadableFile? = error as? ConfigError else { return XCTFail("\(error)") }
        }
    }

    func testSyntaxErrorsGiveLineAndColumn() {
        let unclosed = error("SOURCE: GTA\nTRAIN:\n  MODEL: [a, b\n")
        guard case .syntax("t.yml", 4?, 1?, let problem)? = unclosed else { return XCTFail("\(String(describing: unclosed))") }
        XCTAssertTrue(problem.contains("flow sequence (line 3, column 10)"), problem)
        let e = error("SOURCE: GTA\n  bad: indent\n")
        guard case .syntax("t.yml", 2?, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue("\(e!)".contains("YAML syntax error at line 2, column"), "\(e!)")
        guard case .duplicateKey("t.yml", ["SOURCE"], _, _)? = error("SOURCE: a\nSOURCE: b\n") else { return XCTFail() }
        guard case .notAMapping? = error("- a\n- b\n") else { return XCTFail() }
        guard case .unsupportedYAML? = error("base: &b {SOURCE: a}\n<<: *b\n") else { return XCTFail() }
    }

    func testOverrides() throws {
        let c = try MTAFConfig.load(yaml: "", overrides: [
            "TRAIN.EARLY_STOP=100", "TARGETS=[Cityscapes,IDD]", "TRAIN.LEARNING_RATE=0.01", "TRAIN.AMP=true",
            "EXP_NAME=run", "TEST.SET_TARGET=[val, val]", "DIST.SOURCE_MODE=shard", "LOG.EVERY=10",
            "TRAIN.RESTORE_FROM=''", "DATA_LIST_SOURCE=data/{}.txt", "TRAIN.SET_SOURCE = train",
        ])
        XCTAssertEqual(c.train.earlyStop, 100)
        XCTAssertEqual(c.targets, ["Cityscapes", "IDD"])
        XCTAssertEqual(c.train.learningRate, 0.01)
        XCTAssertEqual(c.train.amp, true)
        XCTAssertEqual(c.expName, "run")
        XCTAssertEqual(c.test.setTarget, ["val", "val"])
        XCTAssertEqual(c.dist.sourceModeValue, .shard)
        XCTAssertEqual(c.log.every, 10)
        XCTAssertEqual(c.train.restoreFrom, "")
        XCTAssertEqual(c.dataListSource, "data/{}.txt")
        XCTAssertEqual(c.train.setSource, "train")

        XCTAssertEqual(error("", overrides: ["TRAIN.EARLYSTOP=100"]),
                       .unknownKey(source: "--set TRAIN.EARLYSTOP=100", location: nil, key: "EARLYSTOP",
                                   path: "TRAIN.EARLYSTOP", suggestion: "TRAIN.EARLY_STOP"))
        guard case .typeMismatch("--set TRAIN.EARLY_STOP=1e3", _, "TRAIN.EARLY_STOP", "an int", "a str", _, _)? =
                error("", overrides: ["TRAIN.EARLY_STOP=1e3"]) else { return XCTFail() }
        guard case .typeMismatch(_, _, "TRAIN.LEARNING_RATE", "a float", "an int", _, _)? =
                error("", overrides: ["TRAIN.LEARNING_RATE=1"]) else { return XCTFail() }
        guard case .typeMismatch(_, _, "TRAIN.RESTORE_FROM", "a str", "null (None)", _, let hint?)? =
                error("", overrides: ["TRAIN.RESTORE_FROM="]) else { return XCTFail() }
        XCTAssertTrue(hint.contains("''"))
        guard case .malformedOverride? = error("", overrides: ["TRAIN.EARLY_STOP"]) else { return XCTFail() }
        guard case .malformedOverride? = error("", overrides: ["TRAIN..EARLY_STOP=1"]) else { return XCTFail() }
        guard case .syntax? = error("", overrides: ["TARGETS=[a, b"]) else { return XCTFail() }
        // Overrides come after the file and are validated with it.
        XCTAssertEqual(try MTAFConfig.load(yaml: "TRAIN: {EARLY_STOP: 5}\n", overrides: ["TRAIN.EARLY_STOP=7"]).train.earlyStop, 7)
        guard case .invalidValue(path: "TRAIN.TEACHER_LOSS", _, _)? =
                error("", overrides: ["TRAIN.TEACHER_LOSS=MSE"]) else { return XCTFail() }
        var config = MTAFConfig()
        try config.apply(override: "TRAIN={BATCH_SIZE_SOURCE: 3, BATCH_SIZE_TARGET: 5}")
        XCTAssertEqual(config.train.batchSizeSource, 3)
        XCTAssertEqual(config.train.batchSizeTarget, 5)
    }

    /// Nested anchors, each level naming the previous one nine times: `levels` levels expand to
    /// 9^levels scalars.
    private func aliasBomb(levels: Int) -> String {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for level in 1 ..< levels {
            let previous = "*a\(level - 1)"
            lines.append("a\(level): &a\(level) [" + Array(repeating: previous, count: 9).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// 9^6 = 531441 values through aliases: refused before anything is expanded (it used to be
    /// expanded in full and then refused as unknown keys; at 9 levels that took 11 GB).
    func testAliasExpansionIsBounded() {
        XCTAssertEqual(error(aliasBomb(levels: 6)),
                       .tooLarge(source: "t.yml", line: 6, what: "more than 100000 values (aliases expand to copies "
                                 + "of what they name, so nested ones multiply)"))
        XCTAssertTrue(error(aliasBomb(levels: 6))!.description.hasPrefix("t.yml: the document reaches more than 100000 values"))
        // An anchor reused a few times is fine.
        XCTAssertEqual(try MTAFConfig.load(yaml: "TRAIN:\n  INPUT_SIZE_SOURCE: &size [64, 32]\n  INPUT_SIZE_TARGET: *size\n")
                        .train.inputSizeTarget, [64, 32])
    }

    /// The reported bomb, nine levels (387 million values), is refused at once.
    func testNineLevelAliasBombIsRefusedAtOnce() {
        let start = Date()
        guard case .tooLarge(source: "t.yml", line: 6, _) = error(aliasBomb(levels: 9)) else {
            return XCTFail("\(String(describing: error(aliasBomb(levels: 9))))")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    /// Nesting deeper than 64 is refused, also when reached through an alias.
    func testNestingDepthIsBounded() {
        let deep = "a: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "\n"
        XCTAssertEqual(error(deep), .tooLarge(source: "t.yml", line: 1, what: "lists or mappings nested more than 64 deep"))
        let half = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let aliased = "a: &a " + half + "\nb: " + String(repeating: "[", count: 30) + "*a" + String(repeating: "]", count: 30) + "\n"
        XCTAssertEqual(error(aliased), .tooLarge(source: "t.yml", line: 2, what: "lists or mappings nested more than 64 deep"))
    }

    /// DIST.TIMEOUT_S: seconds a collective may wait (0 = no limit); negative or non-finite
    /// values are refused.
    func testCollectiveTimeout() throws {
        XCTAssertEqual(try MTAFConfig.load(yaml: "DIST: {TIMEOUT_S: 0.0}\n").dist.timeoutS, 0)
        XCTAssertTrue(try MTAFConfig.load(yaml: "").yamlText.contains("\n  TIMEOUT_S: 600.0\n"))
        for bad in ["-1.0", ".inf", ".nan"] {
            guard case .invalidValue(path: "DIST.TIMEOUT_S", _, _)? = error("", overrides: ["DIST.TIMEOUT_S=\(bad)"]) else {
                return XCTFail(bad)
            }
        }
    }
}
