import Distributed
import Foundation
import XCTest
@testable import MTAFNet

/// The configs of MTAF's four benchmarks (GTA5 → Cityscapes + Mapillary, Cityscapes + IDD,
/// Mapillary + IDD, Cityscapes + Mapillary + IDD) for Baseline, MDis and MTKT at 7 and 19 classes:
/// each loads with the values configs/README.md documents, `mtaf-mpi config` and `plan` accept it,
/// and it trains one iteration on the 19-class synthetic benchmark with a small model.
final class BenchmarkConfigTests: XCTestCase {
    /// One benchmark config file.
    struct BenchmarkConfig {
        var name: String
        var targets: [String]
        var framework: TrainingFrameworkKind
        var classes: Int
        /// Upstream's own file (GTA5 → Cityscapes + Mapillary, 7 classes).
        var isUpstream: Bool { targets == ["Cityscapes", "Mapillary"] && classes == 7 }
        var frameworkStem: String { framework.rawValue.lowercased() }
    }

    static let benchmarks: [(stem: String, targets: [String])] = [
        ("cityscapes_mapillary", ["Cityscapes", "Mapillary"]), ("cityscapes_idd", ["Cityscapes", "IDD"]),
        ("mapillary_idd", ["Mapillary", "IDD"]), ("cityscapes_mapillary_idd", ["Cityscapes", "Mapillary", "IDD"]),
    ]

    /// All 24: four benchmarks × three frameworks × {7, 19} classes (19: the `_19` suffix).
    static let all: [BenchmarkConfig] = benchmarks.flatMap { benchmark in
        [TrainingFrameworkKind.baseline, .mdis, .mtkt].flatMap { framework in
            [7, 19].map { classes in
                BenchmarkConfig(name: "gta2\(benchmark.stem)_\(framework.rawValue.lowercased())" + (classes == 19 ? "_19" : ""),
                                targets: benchmark.targets, framework: framework, classes: classes)
            }
        }
    }

    /// Each target's upstream list, dataset folder and test set.
    static let targetData: [String: (list: String, directory: String, testSet: String)] = [
        "Cityscapes": ("mtaf/dataset/cityscapes_list/{}.txt", "data/Cityscapes", "val"),
        "Mapillary": ("", "data/Mapillary", "validation"),
        "IDD": ("mtaf/dataset/idd_list/{}.txt", "data/IDD", "val"),
    ]

    private func load(_ config: BenchmarkConfig, overrides: [String] = []) throws -> MTAFConfig {
        try MTAFConfig.load(file: ConfigTests.path(config.name + ".yml"), overrides: overrides)
    }

    func testEveryBenchmarkConfigLoadsWithItsValues() throws {
        XCTAssertEqual(Self.all.count, 24)
        for file in Self.all {
            let c = try load(file)
            let name = file.name
            XCTAssertEqual(c.expName, name)
            XCTAssertEqual(c.source, "GTA", name)
            XCTAssertEqual(c.targets, file.targets, name)
            XCTAssertEqual(c.numClasses, file.classes, name)
            XCTAssertEqual(c.framework, file.framework, name)
            let model = file.framework == .mtkt ? "DeepLabv2MTKT" : "DeepLabv2"
            XCTAssertEqual(c.train.model, model, name)
            XCTAssertEqual(c.test.model, [model], name)
            XCTAssertEqual(c.test.modeValue, .best, name)
            XCTAssertEqual(c.dataListSource, "mtaf/dataset/gta5_list/{}.txt", name)
            XCTAssertEqual(c.dataDirectorySource, "data/GTA5", name)
            XCTAssertEqual(c.dataListTarget, file.targets.map { Self.targetData[$0]!.list }, name)
            XCTAssertEqual(c.dataDirectoryTarget, file.targets.map { Self.targetData[$0]!.directory }, name)
            XCTAssertEqual(c.train.setTarget, file.targets.map { _ in "train" }, name)
            XCTAssertEqual(c.test.setTarget, file.targets.map { Self.targetData[$0]!.testSet }, name)
            XCTAssertEqual(c.train.inputSizeSource, [640, 320], name)
            XCTAssertEqual(c.train.inputSizeTarget, [640, 320], name)
            XCTAssertEqual(c.test.inputSizeTarget, [640, 320], name)
            XCTAssertEqual(c.train.snapshotDir, "experiments/snapshots/" + name)
            if !file.isUpstream {
                XCTAssertEqual(c.train.restoreFrom, "pretrained_models/DeepLab_resnet_pretrained_imagenet.pth", name)
            }
            // Hyper-parameters: upstream's GTA5 → Cityscapes + Mapillary file of the same framework.
            let upstream = try MTAFConfig.load(file: ConfigTests.path("gta2cityscapes_mapillary_\(file.frameworkStem).yml"))
            XCTAssertEqual(c.train.batchSizeSource, upstream.train.batchSizeSource, name)
            XCTAssertEqual(c.train.batchSizeTarget, upstream.train.batchSizeTarget, name)
            XCTAssertEqual(c.train.amp, upstream.train.amp, name)
            XCTAssertEqual(c.sgdRepetition, upstream.sgdRepetition, name)
            XCTAssertEqual(c.train.learningRate, upstream.train.learningRate, name)
            XCTAssertEqual(c.train.lambdaSegMain, upstream.train.lambdaSegMain, name)
            XCTAssertEqual(c.train.lambdaSegAux, upstream.train.lambdaSegAux, name)
            XCTAssertEqual(c.train.lambdaAdvMain, upstream.train.lambdaAdvMain, name)
            XCTAssertEqual(c.train.lambdaAdvAux, upstream.train.lambdaAdvAux, name)
            XCTAssertEqual(c.train.lambdaKLTarget, upstream.train.lambdaKLTarget, name)
            XCTAssertEqual(c.train.teacherIters, upstream.train.teacherIters, name)
            XCTAssertEqual([c.train.maxIters, c.train.earlyStop], [250_000, 120_000], name)
        }
        let mdis = try load(Self.all.first { $0.name == "gta2cityscapes_idd_mdis" }!)
        XCTAssertEqual([mdis.train.batchSizeSource, mdis.train.batchSizeTarget], [4, 4])
        XCTAssertEqual(mdis.train.lambdaAdvMain, 0.004)
        let mtkt = try load(Self.all.first { $0.name == "gta2cityscapes_mapillary_idd_mtkt_19" }!)
        XCTAssertEqual(mtkt.train.teacherIters, 20000)
        XCTAssertEqual(mtkt.train.lambdaKLTarget, 4.0)
    }

    /// `mtaf-mpi config` prints each file's effective configuration, and `plan` over one rank per
    /// target puts target t on rank t (architecture §3.2).
    func testConfigAndPlanCommandsAcceptEveryBenchmarkConfig() throws {
        for file in Self.all {
            let path = ConfigTests.path(file.name + ".yml")
            let shown = try TrainProcess.run(["config", "--cfg", path])
            XCTAssertEqual(shown.status, 0, "\(file.name): \(shown.output)")
            XCTAssertTrue(shown.output.contains("NUM_CLASSES: \(file.classes)\n"), "\(file.name): \(shown.output)")
            XCTAssertTrue(shown.output.contains("TARGETS: [\(file.targets.joined(separator: ", "))]\n"), file.name)
            let plan = try TrainProcess.run(["plan", "--cfg", path, "--np", "\(file.targets.count)"])
            XCTAssertEqual(plan.status, 0, "\(file.name): \(plan.output)")
            XCTAssertTrue(plan.output.contains("framework: \(file.framework.rawValue) "), "\(file.name): \(plan.output)")
            for (rank, target) in file.targets.enumerated() {
                XCTAssertTrue(plan.output.contains("rank \(rank): \(target) (leader)"), "\(file.name): \(plan.output)")
            }
            // The hosted modules follow the trainer's placement: every discriminator the framework
            // trains, shared ones on the every-rank line, hosted ones on their target's rank.
            for role in file.framework.discriminatorRoles(targetCount: file.targets.count) {
                let line = TrainingPlacement.hostingTarget(of: role).map { "rank \($0): \(file.targets[$0]):" }
                    ?? "every rank, shared: segmenter"
                let hostLine = plan.output.split(separator: "\n").first { $0.contains(line) && !$0.contains("(leader)") }
                XCTAssertTrue(hostLine?.contains(role.snapshotSuffix) == true, "\(file.name) \(role): \(plan.output)")
            }
            if file.framework == .mtkt {
                XCTAssertTrue(plan.output.contains("every rank, shared: segmenter (backbone, student head 0 and every teacher head)"),
                              "\(file.name): \(plan.output)")
            }
        }
    }

    /// One iteration of each config on the synthetic benchmark's 19-class scenes (their labels are
    /// the datasets' raw ids, read by the 7- or the 19-class maps), width 8, one block per stage,
    /// 160×80 inputs, batches of 1: finite losses, a snapshot whose classifiers have C outputs.
    func testEveryBenchmarkConfigTrainsOneIteration() throws {
        let root = try makeTemporaryDirectory(self)
        var options = SyntheticBenchmark.Options()
        options.outputDirectory = root + "/data"
        options.classes = 19
        options.sourceImages = 2
        options.targetTrainImages = 2
        options.targetValImages = 1
        options.targetTuneImages = 0
        options.size = ImageSize(width: 160, height: 80)
        _ = try SyntheticBenchmark.generate(options)
        let data = root + "/data"
        let lists = ["Cityscapes": "'\(data)/cityscapes_list/{}.txt'", "Mapillary": "''", "IDD": "'\(data)/idd_list/{}.txt'"]
        for file in Self.all {
            let snapshots = root + "/" + file.name
            let overrides = [
                "DATA_LIST_SOURCE='\(data)/gta5_list/{}.txt'", "DATA_DIRECTORY_SOURCE=\(data)/GTA5",
                "DATA_LIST_TARGET=[\(file.targets.map { lists[$0]! }.joined(separator: ", "))]",
                "DATA_DIRECTORY_TARGET=[\(file.targets.map { "\(data)/\($0)" }.joined(separator: ", "))]",
                "MODEL_WIDTH=8", "MODEL_BLOCKS=[1, 1, 1, 1]", "DISCRIMINATOR_NDF=8",
                "TRAIN.INPUT_SIZE_SOURCE=[160, 80]", "TRAIN.INPUT_SIZE_TARGET=[160, 80]",
                "TRAIN.BATCH_SIZE_SOURCE=1", "TRAIN.BATCH_SIZE_TARGET=1", "TRAIN.RESTORE_FROM=''",
                "TRAIN.EARLY_STOP=1", "TRAIN.SNAPSHOT_DIR=\(snapshots)",
            ]
            let config = try load(file, overrides: overrides)
            let summary = try Trainer(config: config, cluster: LocalCluster(), log: { _ in }).run()
            XCTAssertEqual(summary.endIteration, 1, file.name)
            XCTAssertEqual(summary.snapshots, [0], file.name)
            let losses: IterationLosses = try XCTUnwrap(summary.lastLosses, file.name)
            XCTAssertNil(losses.firstNonFinite, "\(file.name): \(losses.upstreamLine(iteration: 0))")
            XCTAssertNotNil(losses["loss_seg_src_main"], "\(file.name): \(losses.upstreamLine(iteration: 0))")
            let model = try SafeTensors.read(contentsOf: snapshots + "/model_0.safetensors")
            let classifierBiases = model.names.filter { $0.contains("conv2d_list.") && $0.hasSuffix(".bias") }
            XCTAssertFalse(classifierBiases.isEmpty, file.name)
            for name in classifierBiases {
                XCTAssertEqual(model.entries[name]!.shape, [file.classes], "\(file.name) \(name)")
            }
        }
    }
}
