// AdventTranslation: reading an ADVENT-style (single-target) configuration file (spec §6.2, §10).
//
// A file is ADVENT-style when it has a top-level `TARGET` key or a `TRAIN.DA_METHOD` key. Such a
// file is read against ADVENT's defaults (NUM_CLASSES 19, one Cityscapes target, 1280×720 source
// and 1024×512 target inputs, 2048×1024 test labels) written in MTAF's form, and its keys are
// translated explicitly before the ordinary merge (the MTAF key check is never relaxed):
// - `TARGET: X` (a str) → `TARGETS: [X]`;
// - single strings for DATA_LIST_TARGET, DATA_DIRECTORY_TARGET, TRAIN/TEST.SET_TARGET and
//   TRAIN/TEST.INFO_TARGET → one-entry lists;
// - `TRAIN.DA_METHOD: AdvEnt` → `TRAIN.MT_FRAMEWORK: Baseline` (MTAF's Baseline with T = 1 is
//   AdvEnt, spec §5.4); `MinEnt` → `MinEnt`;
// - `TRAIN.LAMBDA_ENT_MAIN/AUX` are keys of ours too and pass unchanged;
// - `TRAIN.TENSORBOARD_LOGDIR` (str) is type-checked and ignored (our log folder is
//   TRAIN.SNAPSHOT_DIR/tensorboard); `TRAIN.TENSORBOARD_VIZRATE` is a key of ours too and passes
//   unchanged (the TensorBoard image interval);
// - MTAF-only keys (TARGETS, TRAIN.MT_FRAMEWORK, LAMBDA_KL_TARGET, TEACHER_ITERS, TEACHER_LOSS,
//   AMP, AMP_OPTIM, TEST.SCALE_LABEL) are errors, as ADVENT's loader would report them.
// Our own keys (MODEL_WIDTH, DIST, LOG, …) are accepted in both styles. The effective config is
// written in MTAF's form, so it reloads as an MTAF file. One difference remains: an empty EXP_NAME
// becomes `…_Baseline` where ADVENT wrote `…_AdvEnt`.

/// The explicit ADVENT-style translation (spec §6.2, §10).
enum AdventTranslation {
    private static let note = "this file is read as an ADVENT-style config because it sets TARGET or TRAIN.DA_METHOD"

    /// Whether parsed top-level pairs are an ADVENT-style file.
    static func isAdventStyle(_ pairs: [YAMLPair]) -> Bool {
        for pair in pairs where pair.keyIsString {
            if pair.name == "TARGET" { return true }
            if pair.name == "TRAIN", case .mapping(let inner) = pair.value.value,
               inner.contains(where: { $0.keyIsString && $0.name == "DA_METHOD" }) {
                return true
            }
        }
        return false
    }

    /// ADVENT's defaults (advent/domain_adaptation/config.py) in MTAF's form; upstream `<root>`
    /// paths relative to the working directory.
    static var defaults: MTAFConfig {
        var config = MTAFConfig()
        config.targets = ["Cityscapes"]
        config.dataListSource = "advent/dataset/gta5_list/{}.txt"
        config.dataListTarget = ["advent/dataset/cityscapes_list/{}.txt"]
        config.dataDirectoryTarget = ["data/Cityscapes"]
        config.numClasses = 19
        config.train.setTarget = ["train"]
        config.train.inputSizeSource = [1280, 720]
        config.train.inputSizeTarget = [1024, 512]
        config.train.infoTarget = ["advent/dataset/cityscapes_list/info.json"]
        config.train.mtFramework = TrainingFrameworkKind.baseline.rawValue
        config.test.setTarget = ["val"]
        config.test.inputSizeTarget = [1024, 512]
        config.test.outputSizeTarget = [2048, 1024]
        config.test.infoTarget = ["advent/dataset/cityscapes_list/info.json"]
        return config
    }

    /// Translates an ADVENT-style file's (or override's) top-level pairs into MTAF keys.
    static func translate(_ pairs: [YAMLPair], source: String) throws(ConfigError) -> [YAMLPair] {
        var result: [YAMLPair] = []
        for pair in pairs {
            guard pair.keyIsString else { result.append(pair); continue }
            switch pair.name {
            case "TARGET":
                result.append(try listOfOne(pair, as: "TARGETS", path: "TARGET", source: source))
            case "DATA_LIST_TARGET", "DATA_DIRECTORY_TARGET":
                result.append(try listOfOne(pair, as: pair.name, path: pair.name, source: source))
            case "TARGETS":
                throw rejected(pair, path: "TARGETS", instead: "TARGET", source: source)
            case "TRAIN", "TEST":
                guard case .mapping(let inner) = pair.value.value else { result.append(pair); continue }
                var translated: [YAMLPair] = []
                for entry in inner {
                    if let replacement = try translate(entry, section: pair.name, source: source) {
                        translated.append(replacement)
                    }
                }
                var node = pair.value
                node.value = .mapping(translated)
                result.append(YAMLPair(key: pair.key, value: node))
            default:
                result.append(pair)
            }
        }
        return result
    }

    /// One TRAIN/TEST entry; nil when the key is ADVENT-only and ignored.
    private static func translate(_ pair: YAMLPair, section: String, source: String) throws(ConfigError) -> YAMLPair? {
        guard pair.keyIsString else { return pair }
        let path = section + "." + pair.name
        switch (section, pair.name) {
        case (_, "SET_TARGET"), (_, "INFO_TARGET"):
            return try listOfOne(pair, as: pair.name, path: path, source: source)
        case ("TRAIN", "DA_METHOD"):
            guard case .string(let method) = pair.value.value else {
                throw mismatch(pair, path: path, expected: "a str", source: source)
            }
            let framework: TrainingFrameworkKind
            switch method {
            case "AdvEnt": framework = .baseline
            case "MinEnt": framework = .minEnt
            default:
                throw .invalidValue(path: path, value: pair.value.shownValue,
                                    reason: "ADVENT's DA_METHOD is AdvEnt or MinEnt")
            }
            var value = pair.value
            value.value = .string(framework.rawValue)
            return YAMLPair(key: YAMLNode(.string("MT_FRAMEWORK"), text: "MT_FRAMEWORK", line: pair.key.line,
                                          column: pair.key.column), value: value)
        case ("TRAIN", "TENSORBOARD_LOGDIR"):
            guard case .string = pair.value.value else { throw mismatch(pair, path: path, expected: "a str", source: source) }
            return nil
        case ("TRAIN", "MT_FRAMEWORK"):
            throw rejected(pair, path: path, instead: "TRAIN.DA_METHOD", source: source)
        case ("TRAIN", "LAMBDA_KL_TARGET"), ("TRAIN", "TEACHER_ITERS"), ("TRAIN", "TEACHER_LOSS"),
             ("TRAIN", "AMP"), ("TRAIN", "AMP_OPTIM"), ("TEST", "SCALE_LABEL"):
            throw rejected(pair, path: path, instead: nil, source: source)
        default:
            return pair
        }
    }

    /// `KEY: 'x'` → `NEW_KEY: ['x']`; a list is left for the ordinary merge (MTAF form).
    private static func listOfOne(_ pair: YAMLPair, as name: String, path: String,
                                  source: String) throws(ConfigError) -> YAMLPair {
        var value = pair.value
        switch pair.value.value {
        case .string: value.value = .list([pair.value])
        case .list where name != "TARGETS": break
        default: throw mismatch(pair, path: path, expected: "a str", source: source)
        }
        return YAMLPair(key: YAMLNode(.string(name), text: name, line: pair.key.line, column: pair.key.column),
                        value: value)
    }

    private static func mismatch(_ pair: YAMLPair, path: String, expected: String, source: String) -> ConfigError {
        .typeMismatch(source: source, location: pair.value.location, path: path, expected: expected,
                      found: pair.value.value.typeName, value: pair.value.shownValue,
                      hint: "ADVENT-style file: \(note)")
    }

    private static func rejected(_ pair: YAMLPair, path: String, instead: String?, source: String) -> ConfigError {
        .unknownKey(source: source, location: pair.key.location, key: pair.name, path: path + " (not an ADVENT key: \(note))",
                    suggestion: instead)
    }
}
