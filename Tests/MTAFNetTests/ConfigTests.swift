import Foundation
import XCTest
@testable import MTAFNet

/// The configuration: defaults (spec §6.2), the shipped files (§6.3, §9), derived defaults (§6.4,
/// §6.5), validation (§10) and the effective-config round trip.
final class ConfigTests: XCTestCase {
    /// The repository's configs/ folder.
    static let configsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("configs")

    static func path(_ name: String) -> String {
        configsDirectory.appendingPathComponent(name).path
    }

    static let upstreamNames = ["gta2cityscapes_mapillary_baseline", "gta2cityscapes_mapillary_baseline_pretrained",
                                "gta2cityscapes_mapillary_mdis", "gta2cityscapes_mapillary_mdis_pretrained",
                                "gta2cityscapes_mapillary_mtkt", "gta2cityscapes_mapillary_mtkt_pretrained"]
    static let syntheticNames = ["synthetic_source_only", "synthetic_baseline", "synthetic_mdis", "synthetic_mtkt"]

    func testEveryDefaultOfSpec6_2() {
        let c = MTAFConfig()
        XCTAssertEqual(c.source, "GTA")
        XCTAssertEqual(c.targets, ["Cityscapes", "Mapillary"])
        XCTAssertEqual(c.numWorkers, 4)
        XCTAssertEqual(c.dataListSource, "mtaf/dataset/gta5_list/{}.txt")
        XCTAssertEqual(c.dataListTarget, ["mtaf/dataset/cityscapes_list/{}.txt", ""])
        XCTAssertEqual(c.dataDirectorySource, "data/GTA5")
        XCTAssertEqual(c.dataDirectoryTarget, ["data/Cityscapes", "data/Mapillary"])
        XCTAssertEqual(c.numClasses, 7)
        XCTAssertEqual(c.expName, "")
        XCTAssertEqual(c.expRoot, "experiments")
        XCTAssertEqual(c.expRootSnapshot, "experiments/snapshots")
        XCTAssertEqual(c.expRootLogs, "experiments/logs")
        XCTAssertEqual(c.gpuID, 0)

        let t = c.train
        XCTAssertEqual(t.setSource, "all")
        XCTAssertEqual(t.setTarget, ["train", "train"])
        XCTAssertEqual(t.batchSizeSource, 1)
        XCTAssertEqual(t.batchSizeTarget, 1)
        XCTAssertEqual(t.ignoreLabel, 255)
        XCTAssertEqual(t.inputSizeSource, [640, 320])
        XCTAssertEqual(t.inputSizeTarget, [640, 320])
        XCTAssertEqual(t.infoSource, "")
        XCTAssertEqual(t.infoTarget, ["mtaf/dataset/cityscapes_list/info.json"])
        XCTAssertEqual(t.model, "DeepLabv2")
        XCTAssertEqual(t.multiLevel, true)
        XCTAssertEqual(t.mtFramework, "Baseline")
        XCTAssertEqual(t.restoreFrom, "")
        XCTAssertEqual(t.imgMean, [Float(104.00698793), Float(116.66876762), Float(122.67891434)])
        XCTAssertEqual(t.learningRate, 2.5e-4)
        XCTAssertEqual(t.momentum, 0.9)
        XCTAssertEqual(t.weightDecay, 0.0005)
        XCTAssertEqual(t.power, 0.9)
        XCTAssertEqual(t.lambdaSegMain, 1.0)
        XCTAssertEqual(t.lambdaSegAux, 0.1)
        XCTAssertEqual(t.lambdaKLTarget, 1.0)
        XCTAssertEqual(t.learningRateD, 1e-4)
        XCTAssertEqual(t.lambdaAdvMain, 0.001)
        XCTAssertEqual(t.lambdaAdvAux, 0.0002)
        XCTAssertEqual(t.lambdaEntMain, 0.001)
        XCTAssertEqual(t.lambdaEntAux, 0.0002)
        XCTAssertEqual(t.maxIters, 250_000)
        XCTAssertEqual(t.earlyStop, 120_000)
        XCTAssertEqual(t.savePredEvery, 2000)
        XCTAssertEqual(t.snapshotDir, "")
        XCTAssertEqual(t.randomSeed, 1234)
        XCTAssertEqual(t.teacherIters, 0)
        XCTAssertEqual(t.teacherLoss, "KL")
        XCTAssertEqual(t.amp, false)
        XCTAssertEqual(t.ampOptim, "O2")

        let s = c.test
        XCTAssertEqual(s.mode, "best")
        XCTAssertEqual(s.model, ["DeepLabv2"])
        XCTAssertEqual(s.modelWeight, [1.0])
        XCTAssertEqual(s.multiLevel, [true])
        XCTAssertEqual(s.imgMean, t.imgMean)
        XCTAssertEqual(s.restoreFrom, [""])
        XCTAssertEqual(s.snapshotDir, [""])
        XCTAssertEqual(s.snapshotStep, 2000)
        XCTAssertEqual(s.snapshotMaxIter, 120_000)
        XCTAssertEqual(s.setTarget, ["val", "validation"])
        XCTAssertEqual(s.batchSizeTarget, 1)
        XCTAssertEqual(s.inputSizeTarget, [640, 320])
        XCTAssertEqual(s.outputSizeTarget, [640, 320])
        XCTAssertEqual(s.infoTarget, ["mtaf/dataset/cityscapes_list/info.json"])
        XCTAssertEqual(s.waitModel, true)
        XCTAssertEqual(s.scaleLabel, true)

        XCTAssertEqual(c.modelWidth, 64)
        XCTAssertEqual(c.modelBlocks, [3, 4, 23, 3])
        XCTAssertEqual(c.discriminatorNDF, 64)
        XCTAssertEqual(c.sgdRepeat, "auto")
        XCTAssertEqual(c.dist.sourceMode, "replicate")
        XCTAssertEqual(c.dist.threadsPerRank, 0)
        XCTAssertEqual(c.dist.bucketMB, 4.0)
        XCTAssertEqual(c.dist.checkedCollectives, false)
        XCTAssertEqual(c.dist.timeoutS, 600)
        XCTAssertTrue(c.dist.deterministic)
        XCTAssertEqual(c.log.every, 1)
        XCTAssertEqual(c.log.tensorboard, false)

        XCTAssertEqual(MTAFConfig.keyPaths.count, 78)
        XCTAssertEqual(Set(MTAFConfig.keyPaths).count, MTAFConfig.keyPaths.count)
    }

    func testEmptyDocumentIsTheDefaultsPlusDerivedNames() throws {
        let c = try MTAFConfig.load(yaml: "# nothing\n")
        var expected = MTAFConfig()
        expected.expName = "GTA2Cityscapes+Mapillary_DeepLabv2_Baseline"
        expected.train.snapshotDir = "experiments/snapshots/GTA2Cityscapes+Mapillary_DeepLabv2_Baseline"
        expected.test.snapshotDir = [expected.train.snapshotDir]
        expected.train.infoTarget = Array(repeating: "mtaf/dataset/cityscapes_list/info.json", count: 2)
        expected.test.infoTarget = expected.train.infoTarget
        XCTAssertEqual(c, expected)
        XCTAssertEqual(c.framework, .baseline)
        XCTAssertEqual(c.sgdRepetition, .repeated)
    }

    func testUpstreamFilesLoadUnchanged() throws {
        for name in Self.upstreamNames {
            let c = try MTAFConfig.load(file: Self.path(name + ".yml"))
            XCTAssertEqual(c.expName, name)
            XCTAssertEqual(c.source, "GTA")
            XCTAssertEqual(c.targets, ["Cityscapes", "Mapillary"])
            XCTAssertEqual(c.numWorkers, 4)
            XCTAssertEqual(c.train.snapshotDir, "experiments/snapshots/" + name)
            XCTAssertEqual(c.test.snapshotDir, ["experiments/snapshots/" + name])
            XCTAssertEqual(c.numClasses, 7)
            XCTAssertEqual(c.train.inputSizeSource, [640, 320])
        }
        let baseline = try MTAFConfig.load(file: Self.path("gta2cityscapes_mapillary_baseline.yml"))
        XCTAssertEqual(baseline.framework, .baseline)
        XCTAssertEqual(baseline.train.restoreFrom, "../../pretrained_models/DeepLab_resnet_pretrained_imagenet.pth")
        XCTAssertEqual(baseline.train.lambdaAdvMain, 0.001)
        XCTAssertEqual(baseline.train.lambdaAdvAux, 0.0002)
        XCTAssertEqual(baseline.test.modeValue, .best)
        XCTAssertEqual(baseline.sgdRepetition, .repeated)

        let mdis = try MTAFConfig.load(file: Self.path("gta2cityscapes_mapillary_mdis.yml"))
        XCTAssertEqual(mdis.framework, .mdis)
        XCTAssertEqual(mdis.train.amp, true)
        XCTAssertEqual(mdis.sgdRepetition, .single, "auto + AMP = single (spec §4.8)")
        XCTAssertEqual(mdis.train.restoreFrom, "../.../pretrained_models/DeepLab_resnet_pretrained_imagenet.pth",
                       "the upstream typo is data: loading succeeds")
        XCTAssertEqual(mdis.train.batchSizeSource, 4)
        XCTAssertEqual(mdis.train.batchSizeTarget, 4)
        XCTAssertEqual(mdis.train.lambdaSegMain, 4.0)
        XCTAssertEqual(mdis.train.lambdaSegAux, 0.4)
        XCTAssertEqual(mdis.train.lambdaAdvMain, 0.004)
        XCTAssertEqual(mdis.train.lambdaAdvAux, 0.0008)

        let mtkt = try MTAFConfig.load(file: Self.path("gta2cityscapes_mapillary_mtkt.yml"))
        XCTAssertEqual(mtkt.framework, .mtkt)
        XCTAssertEqual(mtkt.train.model, "DeepLabv2MTKT")
        XCTAssertEqual(mtkt.train.lambdaKLTarget, 4.0)
        XCTAssertEqual(mtkt.train.teacherIters, 20000)
        XCTAssertEqual(mtkt.test.model, ["DeepLabv2MTKT"])

        for (name, checkpoint) in [("baseline", "gta2cityscapes_mapillary_baseline.pth"),
                                   ("mdis", "gta2cityscapes_mapillary_mdis.pth"),
                                   ("mtkt", "gta2cityscapes_mapillary_mtkt.pth")] {
            let c = try MTAFConfig.load(file: Self.path("gta2cityscapes_mapillary_\(name)_pretrained.yml"))
            XCTAssertEqual(c.test.modeValue, .single)
            XCTAssertEqual(c.test.restoreFrom, ["../../pretrained_models/" + checkpoint])
            XCTAssertEqual(c.test.model, [name == "mtkt" ? "DeepLabv2MTKT" : "DeepLabv2"])
            XCTAssertEqual(c.framework, .baseline)
        }
    }

    func testSyntheticConfigsLoad() throws {
        let frameworks: [TrainingFrameworkKind] = [.sourceOnly, .baseline, .mdis, .mtkt]
        for (name, framework) in zip(Self.syntheticNames, frameworks) {
            let c = try MTAFConfig.load(file: Self.path(name + ".yml"))
            XCTAssertEqual(c.framework, framework, name)
            XCTAssertEqual(c.expName, name)
            XCTAssertEqual(c.targets, ["Cityscapes", "Mapillary", "IDD"])
            XCTAssertEqual(c.numClasses, 7)
            XCTAssertEqual(c.dataListSource, "data/synthetic/gta5_list/{}.txt")
            XCTAssertEqual(c.dataDirectorySource, "data/synthetic/GTA5")
            XCTAssertEqual(c.dataListTarget, ["data/synthetic/cityscapes_list/{}.txt", "", "data/synthetic/idd_list/{}.txt"])
            XCTAssertEqual(c.dataDirectoryTarget, ["data/synthetic/Cityscapes", "data/synthetic/Mapillary", "data/synthetic/IDD"])
            XCTAssertEqual(c.train.setTarget, ["train", "train", "train"])
            XCTAssertEqual(c.test.setTarget, ["val", "validation", "val"])
            XCTAssertEqual(c.train.inputSizeSource, [160, 80])
            XCTAssertEqual(c.train.inputSizeTarget, [160, 80])
            XCTAssertEqual(c.test.inputSizeTarget, [160, 80])
            XCTAssertEqual(c.test.outputSizeTarget, [160, 80])
            XCTAssertEqual(c.modelWidth, 8)
            XCTAssertEqual(c.modelBlocks, [1, 1, 1, 1])
            XCTAssertEqual(c.discriminatorNDF, 16)
            XCTAssertEqual(c.train.restoreFrom, "")
            XCTAssertEqual(c.train.batchSizeSource, 2)
            XCTAssertEqual(c.train.batchSizeTarget, 2)
            // 401 iterations (0…400) so that the last one is snapshot 400, which best mode's scan
            // (SNAPSHOT_STEP 100 < SNAPSHOT_MAXITER 401) reaches.
            XCTAssertEqual(c.train.earlyStop, 401)
            XCTAssertEqual(c.train.maxIters, 401)
            XCTAssertEqual(c.train.savePredEvery, 100)
            XCTAssertEqual(c.train.learningRate, 2.5e-3)
            XCTAssertEqual(c.expRoot, "experiments")
            XCTAssertEqual(c.test.modeValue, .best)
            XCTAssertEqual(c.test.snapshotStep, 100)
            XCTAssertEqual(c.test.snapshotMaxIter, 401)
            XCTAssertEqual(c.train.infoTarget.count, 3)
            XCTAssertEqual(c.test.model, [framework == .mtkt ? "DeepLabv2MTKT" : "DeepLabv2"])
            XCTAssertEqual(c.train.model, framework == .mtkt ? "DeepLabv2MTKT" : "DeepLabv2")
            if framework == .mtkt { XCTAssertEqual(c.train.teacherIters, 100) }
        }
    }

    func testExpNameSnapshotDirAndSuffix() throws {
        let c = try MTAFConfig.load(yaml: "TARGETS: [Cityscapes, IDD]\nTRAIN: {MT_FRAMEWORK: MDis}\n", expSuffix: "run2")
        XCTAssertEqual(c.expName, "GTA2Cityscapes+IDD_DeepLabv2_MDis_run2")
        XCTAssertEqual(c.train.snapshotDir, "experiments/snapshots/GTA2Cityscapes+IDD_DeepLabv2_MDis_run2")
        XCTAssertEqual(c.test.snapshotDir, [c.train.snapshotDir])

        let named = try MTAFConfig.load(yaml: "EXP_NAME: mine\nEXP_ROOT_SNAPSHOT: snaps/\n", expSuffix: "a")
        XCTAssertEqual(named.expName, "mine_a")
        XCTAssertEqual(named.train.snapshotDir, "snaps/mine_a")

        let given = try MTAFConfig.load(yaml: "TRAIN: {SNAPSHOT_DIR: here}\nTEST: {SNAPSHOT_DIR: [there, other]}\n")
        XCTAssertEqual(given.train.snapshotDir, "here")
        XCTAssertEqual(given.test.snapshotDir, ["there", "other"])
    }

    func testPerTargetLists() throws {
        let three = "TARGETS: [Cityscapes, Mapillary, IDD]\nTEST: {SET_TARGET: [val, validation, val]}\n"
            + "DATA_LIST_TARGET: [a, '', c]\nDATA_DIRECTORY_TARGET: [A, B, C]\nTRAIN: {SET_TARGET: [train]}\n"
        let c = try MTAFConfig.load(yaml: three)
        XCTAssertEqual(c.train.setTarget, ["train", "train", "train"], "a one-entry list applies to every target")
        XCTAssertEqual(c.train.infoTarget.count, 3)
        XCTAssertEqual(c.test.infoTarget.count, 3)

        XCTAssertThrowsError(try MTAFConfig.load(yaml: "TARGETS: [Cityscapes, Mapillary, IDD]\n")) { error in
            XCTAssertEqual(error as? ConfigError, .perTargetLength(path: "DATA_LIST_TARGET", count: 2, targets: 3))
            XCTAssertTrue("\(error)".contains("DATA_LIST_TARGET has 2 entries but TARGETS has 3"), "\(error)")
        }
        XCTAssertThrowsError(try MTAFConfig.load(yaml: three, overrides: ["TRAIN.INFO_TARGET=[a, b]"])) { error in
            XCTAssertEqual(error as? ConfigError, .perTargetLength(path: "TRAIN.INFO_TARGET", count: 2, targets: 3))
        }
    }

    func testFrameworkValidation() throws {
        func message(_ yaml: String) -> String {
            do { _ = try MTAFConfig.load(yaml: yaml); return "" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("TRAIN: {TEACHER_LOSS: MSE}\n").contains("spec §4.10"))
        XCTAssertTrue(message("TRAIN: {TEACHER_LOSS: L1}\n").contains("only KL"))
        let mtktOneTarget = "TARGETS: [Cityscapes]\nTRAIN: {MT_FRAMEWORK: MTKT, MODEL: DeepLabv2MTKT}\n"
        XCTAssertTrue(message(mtktOneTarget).contains("MTKT needs more than one target"), message(mtktOneTarget))
        XCTAssertTrue(message("TRAIN: {MT_FRAMEWORK: MTKT}\n").contains("needs MODEL DeepLabv2MTKT"))
        XCTAssertTrue(message("TARGETS: [IDD]\nTRAIN: {MT_FRAMEWORK: MDis}\n").contains("MDis needs more than one target"))
        XCTAssertTrue(message("TRAIN: {MODEL: DeepLabv2MTKT}\n").contains("DeepLabv2MTKT is the MTKT model"))
        XCTAssertTrue(message("TRAIN: {MT_FRAMEWORK: Mdis}\n").contains("nearest: MDis"), message("TRAIN: {MT_FRAMEWORK: Mdis}\n"))
        XCTAssertTrue(message("TEST: {MODE: all}\n").contains("TEST.MODE"))
        XCTAssertTrue(message("TEST: {MODEL: [DeepLabv2, DeepLabv2]}\n").contains("best mode evaluates exactly one model"))
        XCTAssertTrue(message("TEST: {MODE: single, MODEL: [DeepLabv2, DeepLabv2]}\n").contains("TEST.RESTORE_FROM"))
        XCTAssertTrue(message("TARGETS: []\n").contains("at least one target"))
        XCTAssertTrue(message("SGD_REPEAT: twice\n").contains("SGD_REPEAT"))
        XCTAssertTrue(message("DIST: {SOURCE_MODE: split}\n").contains("replicate or shard"))
        XCTAssertTrue(message("MODEL_BLOCKS: [1, 1, 1]\n").contains("four positive"))
        XCTAssertTrue(message("TRAIN: {IMG_MEAN: [1, 2]}\n").contains("three means"))
        XCTAssertTrue(message("TRAIN: {INPUT_SIZE_SOURCE: [640]}\n").contains("[W, H]"))

        for framework in ["SourceOnly", "MinEnt"] {
            let c = try MTAFConfig.load(yaml: "TARGETS: [Cityscapes]\nDATA_LIST_TARGET: [x]\nDATA_DIRECTORY_TARGET: [y]\n"
                + "TRAIN: {MT_FRAMEWORK: \(framework), SET_TARGET: [train]}\nTEST: {SET_TARGET: [val]}\n")
            XCTAssertEqual(c.framework.rawValue, framework)
        }
        var c = try MTAFConfig.load(yaml: "SGD_REPEAT: single\n")
        XCTAssertEqual(c.sgdRepetition, .single)
        c = try MTAFConfig.load(yaml: "SGD_REPEAT: repeated\nTRAIN: {AMP: True}\n")
        XCTAssertEqual(c.sgdRepetition, .repeated)
    }

    func testEffectiveConfigRoundTrip() throws {
        for name in Self.upstreamNames + Self.syntheticNames + BenchmarkConfigTests.all.map(\.name) {
            let c = try MTAFConfig.load(file: Self.path(name + ".yml"))
            let back = try MTAFConfig.load(yaml: c.yamlText, source: "train_cfg.yml")
            XCTAssertEqual(back, c, name)
            XCTAssertEqual(back.yamlText, c.yamlText, name)
        }
        var odd = try MTAFConfig.load(yaml: "EXP_NAME: \"it's: #1\"\nTRAIN: {LEARNING_RATE: 1.0e-7, RESTORE_FROM: 'yes'}\n")
        odd.train.infoSource = "line\nbreak"
        let back = try MTAFConfig.load(yaml: odd.yamlText)
        XCTAssertEqual(back, odd)

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mtaf-config-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let written = try odd.writeEffective(into: directory + "/snap")
        XCTAssertEqual(written, directory + "/snap/train_cfg.yml")
        XCTAssertEqual(try MTAFConfig.load(file: written), odd)
    }

    func testAdventStyleTranslation() throws {
        let advent = """
            SOURCE: GTA
            TARGET: Cityscapes
            NUM_WORKERS: 4
            DATA_LIST_TARGET: advent/dataset/cityscapes_list/{}.txt
            TRAIN:
              DA_METHOD: MinEnt
              MODEL: DeepLabv2
              RESTORE_FROM: ../../pretrained_models/DeepLab_resnet_pretrained_imagenet.pth
              MULTI_LEVEL: True
              LAMBDA_ENT_MAIN: 0.001
              LAMBDA_ENT_AUX: 0.0002
              SET_TARGET: train
              TENSORBOARD_LOGDIR: ''
            TEST:
              MODE: best
              SET_TARGET: val
            """
        let c = try MTAFConfig.load(yaml: advent)
        XCTAssertEqual(c.targets, ["Cityscapes"])
        XCTAssertEqual(c.framework, .minEnt)
        XCTAssertEqual(c.numClasses, 19)
        XCTAssertEqual(c.dataListTarget, ["advent/dataset/cityscapes_list/{}.txt"])
        XCTAssertEqual(c.train.setTarget, ["train"])
        XCTAssertEqual(c.test.setTarget, ["val"])
        XCTAssertEqual(c.train.inputSizeSource, [1280, 720])
        XCTAssertEqual(c.train.inputSizeTarget, [1024, 512])
        XCTAssertEqual(c.test.outputSizeTarget, [2048, 1024])
        XCTAssertEqual(c.expName, "GTA2Cityscapes_DeepLabv2_MinEnt")
        XCTAssertEqual(try MTAFConfig.load(yaml: c.yamlText), c, "the effective config reloads in MTAF form")

        XCTAssertEqual(c.train.tensorboardVizrate, 100)
        let vizrate = try MTAFConfig.load(yaml: "TARGET: Cityscapes\nTRAIN: {TENSORBOARD_VIZRATE: 7, TENSORBOARD_LOGDIR: x}\n")
        XCTAssertEqual(vizrate.train.tensorboardVizrate, 7, "ADVENT's image interval is honoured")
        XCTAssertEqual(try MTAFConfig.load(yaml: vizrate.yamlText).train.tensorboardVizrate, 7)
        XCTAssertThrowsError(try MTAFConfig.load(yaml: "TRAIN: {TENSORBOARD_VIZRATE: 0}\n")) { error in
            XCTAssertTrue("\(error)".contains("TRAIN.TENSORBOARD_VIZRATE") && "\(error)".contains("at least 1"), "\(error)")
        }
        XCTAssertThrowsError(try MTAFConfig.load(yaml: "TARGET: Cityscapes\nTRAIN: {TENSORBOARD_VIZRATE: often}\n")) { error in
            XCTAssertTrue("\(error)".contains("TENSORBOARD_VIZRATE"), "\(error)")
        }

        let adv = try MTAFConfig.load(yaml: "TARGET: Cityscapes\n", overrides: ["TARGET=IDD"])
        XCTAssertEqual(adv.framework, .baseline, "AdvEnt = Baseline with T = 1 (spec §5.4)")
        XCTAssertEqual(adv.targets, ["IDD"])

        XCTAssertThrowsError(try MTAFConfig.load(yaml: "TARGET: Cityscapes\nTRAIN: {TEACHER_ITERS: 3}\n")) { error in
            XCTAssertTrue("\(error)".contains("not an ADVENT key"), "\(error)")
        }
        XCTAssertThrowsError(try MTAFConfig.load(yaml: "TARGET: Cityscapes\nTARGETS: [IDD]\n")) { error in
            XCTAssertTrue("\(error)".contains("did you mean TARGET?"), "\(error)")
        }
        XCTAssertThrowsError(try MTAFConfig.load(yaml: "TRAIN: {DA_METHOD: AdaptSeg}\n")) { error in
            XCTAssertTrue("\(error)".contains("AdvEnt or MinEnt"), "\(error)")
        }
        XCTAssertThrowsError(try MTAFConfig.load(yaml: "TARGET: [Cityscapes]\n")) { error in
            XCTAssertTrue("\(error)".contains("type mismatch for config key TARGET"), "\(error)")
        }
    }
}
