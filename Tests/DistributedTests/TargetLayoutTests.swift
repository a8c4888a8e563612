import XCTest
@testable import Distributed

final class TargetLayoutTests: XCTestCase {
    /// Every N from 1 to 2T+1 for T = 1…4: each target hosted, groups disjoint when N ≥ T,
    /// balanced, contiguous, leaders first.
    func testEveryWorldSizeHostsEveryTargetBalanced() throws {
        for targets in 1 ... 4 {
            for ranks in 1 ... 2 * targets + 1 {
                let layout = try TargetLayout(targets: targets, ranks: ranks)
                let label = "T=\(targets) N=\(ranks)"
                XCTAssertEqual(layout.groups.count, targets, label)
                XCTAssertTrue(layout.groups.allSatisfy { !$0.isEmpty }, "\(label): a target has no rank")
                XCTAssertTrue(layout.groups.joined().allSatisfy { (0 ..< ranks).contains($0) }, label)
                for target in 0 ..< targets {
                    XCTAssertEqual(layout.leader(of: target), layout.groups[target].min(), label)
                    for rank in layout.groups[target] {
                        XCTAssertTrue(layout.targets(hostedBy: rank).contains(target), label)
                    }
                }
                // Every rank has work.
                XCTAssertTrue((0 ..< ranks).allSatisfy { !layout.targets(hostedBy: $0).isEmpty }, "\(label): idle rank")
                if ranks >= targets {
                    let all = layout.groups.flatMap { $0 }
                    XCTAssertEqual(all, Array(0 ..< ranks), "\(label): groups must be disjoint, contiguous, cover the world")
                    let sizes = layout.groups.map(\.count)
                    XCTAssertLessThanOrEqual(sizes.max()! - sizes.min()!, 1, "\(label): unbalanced \(sizes)")
                    XCTAssertTrue((0 ..< ranks).allSatisfy { layout.targets(hostedBy: $0).count == 1 }, label)
                } else {
                    XCTAssertTrue(layout.groups.allSatisfy { $0.count == 1 }, label)
                    let perRank = (0 ..< ranks).map { layout.targets(hostedBy: $0).count }
                    XCTAssertLessThanOrEqual(perRank.max()!, (targets + ranks - 1) / ranks, "\(label): \(perRank)")
                    XCTAssertLessThanOrEqual(perRank.max()! - perRank.min()!, 1, "\(label): \(perRank)")
                }
            }
        }
    }

    func testConcreteLayouts() throws {
        XCTAssertEqual(try TargetLayout(targets: 3, ranks: 5).groups, [[0, 1], [2, 3], [4]])
        XCTAssertEqual(try TargetLayout(targets: 2, ranks: 4).groups, [[0, 1], [2, 3]])
        XCTAssertEqual(try TargetLayout(targets: 3, ranks: 2).groups, [[0], [1], [0]])
        XCTAssertEqual(try TargetLayout(targets: 3, ranks: 3).groups, [[0], [1], [2]])
        XCTAssertEqual(try TargetLayout(targets: 3, ranks: 2).targets(hostedBy: 0), [0, 2])
    }

    func testImpossibleLayoutsSayWhy() {
        XCTAssertThrowsError(try TargetLayout(targets: 0, ranks: 2)) { error in
            XCTAssertEqual(error as? LayoutError, .noTargets)
            XCTAssertTrue("\(error)".contains("at least one target"))
        }
        XCTAssertThrowsError(try TargetLayout(targets: 2, ranks: 0)) { error in
            XCTAssertEqual(error as? LayoutError, .noRanks(0))
        }
        let mismatch = LayoutError.worldSizeMismatch(expected: 3, actual: 2)
        XCTAssertTrue(mismatch.description.contains("mpirun -np 3"))
    }

    func testRenderNamesRanksAndLeaders() throws {
        let text = try TargetLayout(targets: 3, ranks: 5).render(targetNames: ["Cityscapes", "Mapillary", "IDD"])
        XCTAssertEqual(text, """
            plan: 3 targets on 5 ranks (data parallel inside target groups of 1 or 2 ranks)
              rank 0: Cityscapes (leader)
              rank 1: Cityscapes
              rank 2: Mapillary (leader)
              rank 3: Mapillary
              rank 4: IDD (leader)
              target 0 Cityscapes: ranks 0,1, leader 0
              target 1 Mapillary: ranks 2,3, leader 2
              target 2 IDD: ranks 4, leader 4
            """)
    }

    func testGroupsOnALocalWorld() throws {
        let layout = try TargetLayout(targets: 3, ranks: 1)
        let groups = try TargetGroups(layout: layout, world: LocalCommunicator())
        XCTAssertEqual(groups.hostedTargets, [0, 1, 2])
        XCTAssertThrowsError(try TargetGroups(layout: try TargetLayout(targets: 2, ranks: 2), world: LocalCommunicator())) {
            XCTAssertEqual($0 as? LayoutError, .worldSizeMismatch(expected: 2, actual: 1))
        }
    }
}
