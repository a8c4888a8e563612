import XCTest
@testable import Distributed

/// The report of ranks that run different configurations: groups of equal ranks, each with the
/// first key where it differs from rank 0 (what `requireSameRun` throws on every rank).
final class RunAgreementTests: XCTestCase {
    private let reference = RunIdentity([("binary", "mtaf-mpi 0.1.0"), ("MODEL_WIDTH", "4"), ("TRAIN.EARLY_STOP", "3")])

    func testIdentityTextRoundTrips() {
        let identity = RunIdentity([("command", "train --resume"), ("EXP_NAME", "a\tb"), ("EMPTY", "")])
        XCTAssertEqual(RunIdentity(text: identity.text),
                       RunIdentity([("command", "train --resume"), ("EXP_NAME", "a b"), ("EMPTY", "")]))
    }

    func testReportNamesTheRanksAndTheFirstDifferingKey() {
        var wider = reference
        wider.entries[1].value = "8"
        wider.entries[2].value = "5"
        var longer = reference
        longer.entries[2].value = "9"
        let report = RunDisagreement(identities: [reference, wider, longer, wider])
        XCTAssertEqual(report.differences, ["ranks 1, 3 differ from rank 0 first at MODEL_WIDTH: 8 (rank 0: 4)",
                                            "rank 2 differs from rank 0 first at TRAIN.EARLY_STOP: 9 (rank 0: 3)"])
        XCTAssertTrue(report.description.contains("ranks 1, 3 differ from rank 0 first at MODEL_WIDTH"))
    }

    func testAKeyOnlyOneSideHasIsADifference() {
        let newer = RunIdentity(reference.entries + [("DIST.TIMEOUT_S", "600.0")])
        XCTAssertEqual(RunDisagreement(identities: [reference, newer]).differences,
                       ["rank 1 differs from rank 0 first at DIST.TIMEOUT_S: 600.0 (rank 0: (absent))"])
    }
}
