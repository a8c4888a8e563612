import Distributed
import XCTest
@testable import MTAFNet

/// Architecture §3.2's ownership and scaling rule as `TrainingPlacement` states it, and the snapshot
/// gather's byte stream (the multi-rank runs themselves are in scripts/check-distributed).
final class TrainingPlacementTests: XCTestCase {
    func testOneRankPerTarget() throws {
        let layout = try TargetLayout(targets: 3, ranks: 3)
        let p = TrainingPlacement(layout: layout, rank: 1, sourceMode: .replicate)
        XCTAssertEqual(p.hostedTargets, [1])
        XCTAssertEqual(p.rounds, 1)
        XCTAssertEqual(p.targetScale(1), 1)
        XCTAssertNil(p.sourceScale, "replicate: the last rank computes the shared source terms")
        XCTAssertEqual(p.hostedSourceScale(1), 1)
        XCTAssertNil(p.hostedSourceScale(0))
        XCTAssertTrue(p.hosts(.mainOf(1)))
        XCTAssertFalse(p.hosts(.targetAuxOf(2)))
        XCTAssertTrue(p.hosts(.main), "the Baseline pair is shared")
        XCTAssertEqual(p.owner(of: .targetOf(2)), 2)
        XCTAssertEqual(p.owner(of: .target), 0, "T = 2's pair lives on target 0's group")
        XCTAssertEqual(TrainingPlacement(layout: layout, rank: 2, sourceMode: .replicate).sourceScale, 1)
    }

    func testSeveralTargetsPerRank() throws {
        let p = TrainingPlacement(layout: try TargetLayout(targets: 3, ranks: 2), rank: 0, sourceMode: .replicate)
        XCTAssertEqual(p.hostedTargets, [0, 2])
        XCTAssertEqual(p.rounds, 2)
        XCTAssertEqual(p.targets(hostedBy: 1), [1])
    }

    func testDataParallelGroupsAverage() throws {
        let layout = try TargetLayout(targets: 2, ranks: 5)
        let member = TrainingPlacement(layout: layout, rank: 1, sourceMode: .replicate)
        XCTAssertEqual(layout.groups, [[0, 1, 2], [3, 4]])
        XCTAssertEqual(member.targetScale(0), 1 / 3)
        XCTAssertEqual(member.member(of: 0), 1)
        XCTAssertNil(member.hostedSourceScale(0), "replicate: the leader computes the group's source terms")
        let shard = TrainingPlacement(layout: layout, rank: 4, sourceMode: .shard)
        XCTAssertEqual(shard.sourceScale, 1 / 5)
        XCTAssertEqual(shard.hostedSourceScale(1), 1 / 2)
    }

    func testLocalPlacementIsTheSingleProcessIteration() {
        let p = TrainingPlacement.local(targetCount: 3)
        XCTAssertEqual(p.worldSize, 1)
        XCTAssertEqual(p.hostedTargets, [0, 1, 2])
        XCTAssertEqual(p.sourceScale, 1)
        XCTAssertEqual((0..<3).map { p.hostedSourceScale($0) }, [1, 1, 1])
        XCTAssertEqual((0..<3).map { p.targetScale($0) }, [1, 1, 1])
    }

    func testSourceOnlyIsRefusedOnSeveralRanks() throws {
        var config = try MTAFConfig.load(yaml: "", overrides: [])
        config.train.mtFramework = "SourceOnly"
        XCTAssertThrowsError(try Trainer.layout(for: config, worldSize: 2)) { error in
            XCTAssertTrue("\(error)".contains("run it on one rank"), "\(error)")
        }
        XCTAssertEqual(try Trainer.layout(for: config, worldSize: 1).worldSize, 1)
    }

    func testSnapshotStreamRoundTrips() throws {
        let entries = [
            SnapshotContribution(stem: "model_2_D_main_1", name: "0.weight",
                                 value: .f32(Tensor(shape: [2, 3], values: [1, -2, 3.5, 0, .pi, -0.0]))),
            SnapshotContribution(stem: "model_2_state", name: "trainer.loader.target1", value: .i64(shape: [], values: [42])),
            SnapshotContribution(stem: "model_2_state", name: "x", value: .i32(shape: [2], values: [-7, 9])),
        ]
        let decoded = try SnapshotContribution.decode(ArraySlice(SnapshotContribution.encode(entries)))
        XCTAssertEqual(decoded.map(\.stem), entries.map(\.stem))
        XCTAssertEqual(decoded.map(\.name), entries.map(\.name))
        guard case let .f32(tensor) = decoded[0].value, case let .i64(shape, values) = decoded[1].value,
              case let .i32(_, ints) = decoded[2].value else { return XCTFail("dtypes changed") }
        XCTAssertEqual(tensor.shape, [2, 3])
        XCTAssertEqual(tensor.scalars.map(\.bitPattern), [1, -2, 3.5, 0, Float.pi, -0.0].map(\.bitPattern))
        XCTAssertEqual(shape, [])
        XCTAssertEqual(values, [42])
        XCTAssertEqual(ints, [-7, 9])
        XCTAssertThrowsError(try SnapshotContribution.decode(ArraySlice(SnapshotContribution.encode(entries).dropLast())))
    }

    /// `compare-snapshots` finds a discriminator's Adam state through the role its file names.
    func testDiscriminatorFilesMapToTheirRoles() {
        func role(_ file: String) -> DiscriminatorRole? { TrainingCheckpoint.discriminatorRole(ofFile: file, iteration: 5) }
        XCTAssertEqual(role("model_5_D_main.safetensors"), .main)
        XCTAssertEqual(role("model_5_D_aux_1.safetensors"), .auxOf(1))
        XCTAssertEqual(role("model_5_D_target_aux_2.safetensors"), .targetAuxOf(2))
        XCTAssertEqual(role("model_5_D_target_aux.safetensors"), .targetAux)
        XCTAssertNil(role("model_5_state.safetensors"))
        XCTAssertNil(role("model_5.safetensors"))
        XCTAssertNil(role("model_50_D_main.safetensors"))
        for framework in TrainingFrameworkKind.allCases {
            for role in framework.discriminatorRoles(targetCount: 3) {
                XCTAssertEqual(TrainingCheckpoint.discriminatorRole(
                    ofFile: TrainingCheckpoint.discriminatorStem(7, role) + ".safetensors", iteration: 7), role)
            }
        }
    }
}
