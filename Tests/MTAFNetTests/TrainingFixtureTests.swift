// The training frameworks (spec §5) against the PyTorch reference: two iterations of every
// framework from the fixtures' initial weights (losses, every segmenter parameter and BN
// statistic, every discriminator parameter), and checks that the cases discriminate (a wrong
// weight, mode or warm-up moves the result far beyond the tolerances).

import Distributed
import XCTest
@testable import MTAFNet
@testable import MTAFVerify

final class TrainingFixtureTests: XCTestCase {
    // MARK: The reference cases (acceptance)

    func testBaselineT1IsAdvEnt() { assertTrainingCase("train_baseline_T1") }
    func testBaselineT2() { assertTrainingCase("train_baseline_T2") }
    func testMDisT2() { assertTrainingCase("train_mdis_T2") }
    func testMDisT3() { assertTrainingCase("train_mdis_T3") }
    func testMDisT2SingleSGDUpdate() { assertTrainingCase("train_mdis_T2_sgd_single") }
    func testMTKTT2() { assertTrainingCase("train_mtkt_T2") }
    func testMTKTT3() { assertTrainingCase("train_mtkt_T3") }
    func testMTKTT2WarmUp() { assertTrainingCase("train_mtkt_T2_warmup") }
    func testMinEntT1() { assertTrainingCase("train_minent_T1") }
    func testSourceOnly() { assertTrainingCase("train_source_only") }

    /// `verify` (and `mtaf-mpi verify`) must find exactly one runner for every training case.
    func testEveryTrainingCaseHasExactlyOneRunner() throws {
        for name in Self.trainingCases {
            let fixture = try loadFixture(name)
            let handling = FixtureRunners.all.filter { $0.handles(fixture) }.map { String(describing: $0) }
            XCTAssertEqual(handling, ["TrainingFixtureRunner"], "\(name): handled by \(handling)")
        }
    }

    // MARK: The cases discriminate

    /// Spec §5.1 step 2: without the adversarial terms the Baseline's segmenter misses the reference.
    func testBaselineWithoutAdversarialTermsMisses() throws {
        let worst = try worstSegmenterRatio("train_baseline_T2") { $0.lambdaAdvMain = 0; $0.lambdaAdvAux = 0 }
        XCTAssertGreaterThan(worst, 10, "switching the adversarial terms off should move the segmenter")
    }

    /// Spec §5.2 step 2: the target-vs-target G terms matter (here: λ_ADV_AUX alone off).
    func testMDisWithoutAuxAdversarialTermsMisses() throws {
        let worst = try worstSegmenterRatio("train_mdis_T3") { $0.lambdaAdvAux = 0 }
        XCTAssertGreaterThan(worst, 10)
    }

    /// Spec §5.3 step 2: without the KL term the MTKT student misses the reference.
    func testMTKTWithoutDistillationMisses() throws {
        let worst = try worstSegmenterRatio("train_mtkt_T2") { $0.lambdaKLTarget = 0 }
        XCTAssertGreaterThan(worst, 10)
    }

    /// Spec §5.3 warm-up: distilling from iteration 0 misses the warm-up case.
    func testMTKTWarmUpMatters() throws {
        let worst = try worstSegmenterRatio("train_mtkt_T2_warmup") { $0.teacherIterations = 0 }
        XCTAssertGreaterThan(worst, 10)
    }

    /// Spec §4.8: the repeated and single SGD modes are told apart by the cases.
    func testSGDRepetitionModeMatters() throws {
        XCTAssertGreaterThan(try worstSegmenterRatio("train_mdis_T2") { $0.sgdRepetition = .single }, 10)
        XCTAssertGreaterThan(try worstSegmenterRatio("train_mdis_T2_sgd_single") { $0.sgdRepetition = .repeated }, 10)
    }

    /// Spec §5.4: MinEnt's entropy terms move the segmenter.
    func testMinEntWithoutEntropyMisses() throws {
        let worst = try worstSegmenterRatio("train_minent_T1") { $0.lambdaEntMain = 0; $0.lambdaEntAux = 0 }
        XCTAssertGreaterThan(worst, 10)
    }

    // MARK: State and API

    func testWarmUpLeavesStudentsWithoutGradientOrUpdate() throws {
        let fixture = try loadFixture("train_mtkt_T2_warmup")
        let out = try TrainingFixtureRunner.run(fixture)
        for key in ["main_classifier_list.0.conv2d_list.0.weight", "aux_classifier_list.0.conv2d_list.3.bias"] {
            XCTAssertEqual(out["expected.iter1.seg.\(key)"]?.scalars, try fixture.tensor("init.seg.\(key)").scalars,
                           "the student must not move before TEACHER_ITERS (spec §5.3)")
        }
    }

    func testDiscriminatorRoleKeys() {
        let roles: [DiscriminatorRole] = [.main, .aux, .mainOf(1), .auxOf(0), .target, .targetAux,
                                          .targetOf(2), .targetAuxOf(10)]
        XCTAssertEqual(roles.map(\.key), ["d_main", "d_aux", "d_main.1", "d_aux.0", "d_target", "d_target_aux",
                                          "d_target.2", "d_target_aux.10"])
        XCTAssertEqual(roles.map(\.snapshotSuffix), ["D_main", "D_aux", "D_main_1", "D_aux_0", "D_target",
                                                     "D_target_aux", "D_target_2", "D_target_aux_10"])
        for role in roles {
            XCTAssertEqual(DiscriminatorRole(key: role.key), role)
            XCTAssertEqual(DiscriminatorRole(snapshotSuffix: role.snapshotSuffix), role)
        }
        for bad in ["d_main.", "d_main.01", "d_main.-1", "d_other", "d_aux.1.2", "D_main", ""] {
            XCTAssertNil(DiscriminatorRole(key: bad), bad)
        }
        for bad in ["D_main_", "D_main_01", "D_aux_-1", "D_other", "D_aux_1_2", "d_main", ""] {
            XCTAssertNil(DiscriminatorRole(snapshotSuffix: bad), bad)
        }
    }

    func testFrameworkDiscriminatorsAndTargetCounts() {
        XCTAssertEqual(TrainingFrameworkKind.mdis.discriminatorRoles(targetCount: 2).map(\.key),
                       ["d_main.0", "d_aux.0", "d_main.1", "d_aux.1", "d_target", "d_target_aux"])
        XCTAssertEqual(TrainingFrameworkKind.mdis.discriminatorRoles(targetCount: 3).count, 12)
        XCTAssertEqual(TrainingFrameworkKind.mtkt.discriminatorRoles(targetCount: 3).count, 6)
        XCTAssertEqual(TrainingFrameworkKind.baseline.discriminatorRoles(targetCount: 4).map(\.key), ["d_main", "d_aux"])
        XCTAssertTrue(TrainingFrameworkKind.minEnt.discriminatorRoles(targetCount: 1).isEmpty)
        XCTAssertThrowsError(try TrainingFrameworkKind.mdis.validate(targetCount: 1))
        XCTAssertThrowsError(try TrainingFrameworkKind.mtkt.validate(targetCount: 1))
        XCTAssertThrowsError(try TrainingFrameworkKind.baseline.validate(targetCount: 0))
        XCTAssertNoThrow(try TrainingFrameworkKind.sourceOnly.validate(targetCount: 0))
        XCTAssertEqual(TrainingFrameworkKind.allCases.map(\.fixtureName), ["source_only", "baseline", "minent", "mdis", "mtkt"])
        for kind in TrainingFrameworkKind.allCases {
            XCTAssertEqual(TrainingFrameworkKind(fixtureName: kind.fixtureName), kind)
        }
        XCTAssertNil(TrainingFrameworkKind(fixtureName: "MDis"))
        XCTAssertEqual(TrainingFrameworkKind.allCases.filter { !$0.readsTargetData }, [.sourceOnly])
        XCTAssertEqual(TrainingFrameworkKind.allCases.map(\.minimumTargetCount), [0, 1, 1, 2, 2])
        XCTAssertEqual(TrainingFrameworkKind.baseline.discriminatorStepsPerIteration(targetCount: 3), 3)
        XCTAssertEqual(TrainingFrameworkKind.mdis.discriminatorStepsPerIteration(targetCount: 3), 1)
    }

    func testStateRejectsMismatches() {
        let hp = TrainingHyperParameters(classes: 3, targetCount: 2)
        let config = DeepLabV2Configuration(blocks: [1, 1, 1, 1], width: 1, classes: 3)
        let plain = Segmenter.deepLabV2(DeepLabV2(config, random: RandomStream(seed: 1)))
        XCTAssertThrowsError(try TrainingState(framework: .mtkt, hyperParameters: hp, segmenter: plain,
                                               discriminators: [:])) { error in
            XCTAssertEqual(error as? TrainingError, .wrongModel(framework: "MTKT", model: "DeepLabv2", wanted: "DeepLabv2MTKT"))
        }
        XCTAssertThrowsError(try TrainingState(framework: .baseline, hyperParameters: hp, segmenter: plain,
                                               discriminators: [:])) { error in
            XCTAssertEqual(error as? TrainingError, .missingDiscriminator(framework: "Baseline", key: "d_main"))
        }
        let d = FCDiscriminator(inChannels: 3, ndf: 2, random: RandomStream(seed: 2))
        XCTAssertThrowsError(try TrainingState(framework: .sourceOnly, hyperParameters: hp, segmenter: plain,
                                               discriminators: [.main: d])) { error in
            XCTAssertEqual(error as? TrainingError, .unexpectedDiscriminator(framework: "SourceOnly", key: "d_main"))
        }
        var wrongClasses = hp
        wrongClasses.classes = 4
        XCTAssertThrowsError(try TrainingState(framework: .sourceOnly, hyperParameters: wrongClasses,
                                               segmenter: plain, discriminators: [:]))
    }

    func testBatchValidationNamesTheTensor() throws {
        let state = try TrainingState.initialized(framework: .baseline,
                                                  hyperParameters: TrainingHyperParameters(classes: 3, targetCount: 1),
                                                  blocks: [1, 1, 1, 1], width: 1, ndf: 2, random: RandomStream(seed: 3))
        let framework = try TrainingFrameworks.make(state)
        let image = Tensor(shape: [1, 3, 33, 65])
        let short = TrainingBatch(sourceImages: image, sourceLabels: [Int32](repeating: 0, count: 10), targetImages: [image])
        XCTAssertThrowsError(try framework.trainIteration(on: short)) { error in
            XCTAssertEqual((error as? TrainingError).map { "\($0)" }?.contains("source.label"), true)
        }
        let noTarget = TrainingBatch(sourceImages: image, sourceLabels: [Int32](repeating: 0, count: 33 * 65), targetImages: [])
        XCTAssertThrowsError(try framework.trainIteration(on: noTarget))
        XCTAssertEqual(state.iteration, 0, "a rejected batch must not advance the iteration")
    }

    /// A fresh state, a tiny model, one iteration of every framework with and without the aux
    /// level: finite losses, upstream's names and order (aux terms 0 without MULTI_LEVEL), BN
    /// counters advanced 1 + T times (spec §2.7), no gradient into an unused D_aux.
    func testEveryFrameworkRunsFromAFreshState() throws {
        for multiLevel in [true, false] {
            for kind in TrainingFrameworkKind.allCases {
                let t = kind == .sourceOnly ? 0 : (kind == .baseline || kind == .minEnt ? 1 : 2)
                let hp = TrainingHyperParameters(classes: 3, targetCount: t, multiLevel: multiLevel, maxIterations: 5)
                let state = try TrainingState.initialized(framework: kind, hyperParameters: hp, blocks: [1, 1, 1, 1],
                                                          width: 1, ndf: 2, random: RandomStream(seed: 4))
                let layout = try TargetLayout(targets: max(t, 1), ranks: 1)
                let framework = try TrainingFrameworks.make(state, synchronization: try .forCluster(LocalCluster(), layout: layout,
                                                                                              sourceMode: .replicate))
                var random = RandomStream(seed: 5)
                func image() -> Tensor {
                    let x = Tensor(shape: [2, 3, 33, 40])
                    random.fillNormal(x, mean: 0, std: 1)
                    return x
                }
                let labels: [Int32] = (0..<(2 * 33 * 40)).map { (i: Int) -> Int32 in i % 4 == 3 ? 255 : Int32(i % 3) }
                let batch = TrainingBatch(sourceImages: image(), sourceLabels: labels,
                                          targetImages: (0..<t).map { _ in image() })
                let losses = try framework.trainIteration(on: batch)
                let label = "\(kind) multi-level \(multiLevel)"
                XCTAssertEqual(losses.entries.map { $0.name }, kind.lossNames, label)
                XCTAssertNil(losses.firstNonFinite, label)
                for entry in losses.entries where entry.name.hasSuffix("_aux") && !multiLevel {
                    XCTAssertEqual(entry.value, 0, "\(label): \(entry.name)")
                }
                XCTAssertGreaterThan(losses["loss_seg_src_main"] ?? 0, 0, label)
                XCTAssertEqual(state.iteration, 1)
                XCTAssertEqual(state.segmenter.batchNormLayers.map(\.numBatchesTracked),
                               Array(repeating: Int64(1 + t), count: state.segmenter.batchNormLayers.count), label)
                if let dAux = state.discriminator(.aux) {
                    XCTAssertEqual(dAux.model.parameterIDs.contains { dAux.model.parameters.hasReceivedGradient($0) },
                                   multiLevel, label)
                }
            }
        }
    }

    /// Exporting and re-importing every optimizer's state into a second state built from the
    /// same weights continues bit-identically (what the trainer's resume relies on).
    func testResumeFromExportedStateContinuesIdentically() throws {
        let fixture = try loadFixture("train_mdis_T2")
        let hp = try TrainingFixtureRunner.hyperParameters(fixture)
        func fresh() throws -> TrainingState {
            let state = try TrainingState.initialized(framework: .mdis, hyperParameters: hp, blocks: [1, 1, 1, 1],
                                                      width: 4, ndf: 4, random: RandomStream(seed: 0))
            try ModelFixtureSupport.loadStateDict(fixture, prefix: "init.seg.", into: state.segmenter.stateDict)
            for slot in state.discriminators {
                try ModelFixtureSupport.loadStateDict(fixture, prefix: "init.\(slot.key).", into: slot.model.stateDict)
            }
            return state
        }
        let batch1 = try TrainingFixtureRunner.batch(fixture, 1, targets: 2, inputSize: [33, 65])
        let batch2 = try TrainingFixtureRunner.batch(fixture, 2, targets: 2, inputSize: [33, 65])
        let straight = try fresh()
        _ = try TrainingFrameworks.make(straight).trainIteration(on: batch1)
        let resumed = try fresh()
        for (from, to) in zip(straight.segmenter.stateDict.entries, resumed.segmenter.stateDict.entries) {
            switch (from.slot, to.slot) {
            case let (.floats(s, a), .floats(d, b)):
                s.withValues(a) { src in d.withValues(b) { dst in for i in 0..<dst.count { dst[i] = src[i] } } }
            case let (.counter(s), .counter(d)):
                d.numBatchesTracked = s.numBatchesTracked
            default:
                XCTFail("state dicts differ")
            }
        }
        for (from, to) in zip(straight.discriminators, resumed.discriminators) {
            from.model.parameters.withFlatValues { src in
                to.model.parameters.withFlatValues { dst in for i in 0..<dst.count { dst[i] = src[i] } }
            }
            try to.optimizer.importState(from.optimizer.exportState())
        }
        try resumed.segmenterOptimizer.importState(straight.segmenterOptimizer.exportState())
        resumed.iteration = straight.iteration
        resumed.restoreGradientFlagsFromOptimizerState()
        let a = try TrainingFrameworks.make(straight).trainIteration(on: batch2)
        let b = try TrainingFrameworks.make(resumed).trainIteration(on: batch2)
        XCTAssertEqual(a, b)
        straight.segmenter.parameters.withFlatValues { x in
            resumed.segmenter.parameters.withFlatValues { y in XCTAssertTrue(x.elementsEqual(y)) }
        }
    }

    func testLearningRatesFollowThePolySchedule() {
        let hp = TrainingHyperParameters(learningRate: 0.01, learningRateD: 0.001, power: 0.9, maxIterations: 10)
        XCTAssertEqual(hp.segmenterLearningRates(at: 0), [0.01, 0.1])
        XCTAssertEqual(hp.segmenterLearningRates(at: 1)[0], 0.01 * pow(0.9, 0.9), accuracy: 1e-15)
        XCTAssertEqual(hp.discriminatorLearningRate(at: 5), 0.001 * pow(0.5, 0.9), accuracy: 1e-15)
    }

    /// A world of one updates the BN statistics in the forward; its gradients are canonical sums
    /// (DIST.DETERMINISTIC) or accumulate in place; its placement is one rank hosting every target.
    func testLocalClusterSynchronization() throws {
        let layout = try TargetLayout(targets: 3, ranks: 1)
        for deterministic in [true, false] {
            let synchronization = try TrainingSynchronization.forCluster(LocalCluster(), layout: layout, sourceMode: .replicate,
                                                                         deterministic: deterministic)
            XCTAssertEqual(synchronization.gradients is LocalGradientSynchronizer, !deterministic)
            XCTAssertTrue(synchronization.batchNormStatistics is InForwardBatchNormStatistics)
            XCTAssertEqual(synchronization.placement, .local(targetCount: 3))
            XCTAssertEqual(synchronization.world.size, 1)
        }
    }

    /// The Adam allowance stays narrow: under 1 % of each case's discriminator scalars, only
    /// discriminator tensors, and none at all for cases without discriminators.
    func testAdamAllowanceCoversFewDiscriminatorElements() throws {
        for name in Self.trainingCases {
            let fixture = try loadFixture(name)
            let allowances = try TrainingFixtureRunner.allowances(fixture)
            let discriminators = try fixture.stringArray("discriminators")
            XCTAssertTrue(allowances.keys.allSatisfy { key in discriminators.contains { key.contains(".\($0).") } }, name)
            let relaxed = allowances.filter { $0.key.hasPrefix("expected.iter1.") }.values.reduce(0) { $0 + $1.indices.count }
            let scalars = try fixture.keys.filter { key in
                key.hasPrefix("expected.iter1.") && discriminators.contains { key.hasPrefix("expected.iter1.\($0).") }
            }.reduce(0) { $0 + (try fixture.floats($1).count) }
            if discriminators.isEmpty { XCTAssertEqual(relaxed, 0, name) }
            XCTAssertLessThan(Double(relaxed), 0.01 * Double(max(scalars, 1)), "\(name): \(relaxed) of \(scalars)")
        }
    }

    // MARK: Helpers

    static let trainingCases = ["train_baseline_T1", "train_baseline_T2", "train_mdis_T2", "train_mdis_T3",
                                "train_mdis_T2_sgd_single", "train_mtkt_T2", "train_mtkt_T3", "train_mtkt_T2_warmup",
                                "train_minent_T1", "train_source_only"]

    /// Runs a training case through `TrainingFixtureRunner` (and its Adam allowance, see
    /// `TrainingFixtureRunner.allowances`) and asserts every expected tensor; prints the worst ratio.
    private func assertTrainingCase(_ name: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let fixture = try loadFixture(name)
            let report = verify(fixture, runners: [TrainingFixtureRunner.self])
            XCTAssertNil(report.error, "\(name): \(report.error ?? "")", file: file, line: line)
            XCTAssertFalse(report.tensors.isEmpty, "\(name): no expected tensors", file: file, line: line)
            for failure in report.failures { XCTFail("\(name): \(failure)", file: file, line: line) }
            let worst = report.tensors.max { $0.ratio < $1.ratio }
            let relaxed = try TrainingFixtureRunner.allowances(fixture).values.reduce(0) { $0 + $1.indices.count }
            print("\(name): \(report.tensors.count) tensors, worst ratio \(worst?.ratio ?? 0) (\(worst?.name ?? "")); "
                  + "\(relaxed) Adam-ill-conditioned elements under the allowance")
        } catch {
            XCTFail("\(name): \(error)", file: file, line: line)
        }
    }

    /// The worst error/tolerance ratio over the segmenter tensors after running a case with
    /// changed hyper-parameters.
    private func worstSegmenterRatio(_ name: String, _ change: (inout TrainingHyperParameters) -> Void) throws -> Double {
        let fixture = try loadFixture(name)
        let out = try TrainingFixtureRunner.run(fixture, adjusting: change)
        var worst = 0.0
        for key in fixture.expectedKeys where key.contains(".seg.") {
            let result = compare(name: key, actual: out[key], expected: try fixture.floats(key),
                                 tolerance: try fixture.tolerance(for: key))
            worst = max(worst, result.ratio)
        }
        print("\(name) with changed hyper-parameters: worst segmenter ratio \(worst)")
        return worst
    }
}
