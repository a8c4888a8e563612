// FixtureAssertions: the one assertion every fixture test uses, with each tensor's tolerance from
// the case's sidecar (Fixtures/README.md).

import Foundation
import XCTest
@testable import MTAFNet
import MTAFVerify

/// The test bundle's copy of the reference fixtures.
var fixturesDirectory: URL {
    guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
        fatalError("the test bundle has no Fixtures folder (Package.swift: resources: [.copy(\"Fixtures\")])")
    }
    return url
}

/// Loads a fixture from the test bundle.
///
/// - Parameter name: The case name (`op_conv_3x3d2`).
func loadFixture(_ name: String) throws -> Fixture {
    try Fixture(named: name, in: fixturesDirectory)
}

/// Runs a fixture from the test bundle through `verify` and fails with one message per failing
/// tensor (max abs diff, tolerance, first bad index) or the case-level error.
///
/// - Parameters:
///   - name: The case name (`op_conv_3x3d2`).
///   - runners: The candidate runners (default: every registered runner).
func XCTAssertFixturePasses(_ name: String, runners: [any FixtureRunner.Type] = FixtureRunners.all,
                            file: StaticString = #filePath, line: UInt = #line) {
    let fixture: Fixture
    do {
        fixture = try loadFixture(name)
    } catch {
        XCTFail("\(name): cannot load: \(error)", file: file, line: line)
        return
    }
    let report = verify(fixture, runners: runners)
    if let error = report.error {
        XCTFail("\(name): \(error)", file: file, line: line)
    }
    if report.error == nil && report.tensors.isEmpty {
        XCTFail("\(name): no expected tensors", file: file, line: line)
    }
    for result in report.failures {
        XCTFail("\(name): \(result)", file: file, line: line)
    }
}
