import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi verify`: runs reference fixtures through our code, one OK/FAIL line per tensor.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run reference fixtures through our code and compare every expected tensor.",
            discussion: """
                Each FILE.safetensors is read with its FILE.json sidecar. One line per expected \
                tensor: OK or FAIL, the case, the tensor, the max abs error, the tolerance and their \
                ratio; then "N passed, N failed". Exits with 1 if anything failed.
                """)

        @Argument(help: "The fixture files (NAME.safetensors, each with its NAME.json sidecar).")
        var files: [String] = []

        func validate() throws {
            if files.isEmpty { throw ValidationError("Please give at least one fixture file.") }
        }

        func run() throws {
            var passed = 0
            var failed = 0
            for path in files {
                let report = verify(contentsOf: path)
                if let error = report.error {
                    StandardOutput.line("FAIL \(report.fixture) - \(error)")
                    failed += 1
                    continue
                }
                if report.tensors.isEmpty {
                    StandardOutput.line("FAIL \(report.fixture) - no expected tensors")
                    failed += 1
                    continue
                }
                for result in report.tensors {
                    var line = "\(result.passed ? "OK  " : "FAIL") \(report.fixture) \(result.name)"
                        + " max_abs=\(short(result.maxAbsError)) tol=\(short(result.tolerance))"
                        + " ratio=\(short(result.ratio))"
                    if let problem = result.problem { line += " (\(problem))" }
                    if let index = result.firstBadIndex { line += " first_bad=\(index)" }
                    StandardOutput.line(line)
                    if result.passed { passed += 1 } else { failed += 1 }
                }
            }
            StandardOutput.line("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode.failure }
        }

        /// Three significant digits.
        private func short(_ value: Double) -> String {
            if value.isNaN { return "nan" }
            if value.isInfinite { return "inf" }
            return String(format: "%.3g", value)
        }
    }
}
