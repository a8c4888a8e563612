import ArgumentParser
import Distributed
import Foundation
import MTAFNet
import MTAFVerify

extension MTAFMPI {
    /// `mtaf-mpi verify`: runs reference fixtures through our code, one OK/FAIL line per tensor.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run reference fixtures through our code and compare every expected tensor.",
            discussion: """
                Each FILE.safetensors is read with its FILE.json sidecar. One line per expected \
                tensor: OK or FAIL, the case, the tensor, the max abs error, the tolerance and their \
                ratio; then "N passed, N failed". Exits with 1 if anything failed.

                --precision bf16 runs the convolutions with bfloat16 operands and compares with \
                the same FP32 references: a single convolution's tolerance grows by the bound \
                derived from bf16's precision and the reduction length (spec §4.13); the other \
                cases without convolutions keep their tolerance; models and training runs, whose \
                deviations compound through their layers, print INFO lines with the deviation and \
                the FP32 tolerance and neither pass nor fail.
                """)

        @Argument(help: "The fixture files (NAME.safetensors, each with its NAME.json sidecar).")
        var files: [String] = []

        @OptionGroup var precision: PrecisionOption

        func validate() throws {
            if files.isEmpty { throw ValidationError("Please give at least one fixture file.") }
        }

        func run() throws {
            if let note = try precision.apply(amp: false, ampKey: "AMP").note { StandardOutput.line(note) }
            var passed = 0
            var failed = 0
            var informational = 0
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
                    var line = "\(result.informational ? "INFO" : result.passed ? "OK  " : "FAIL") \(report.fixture) \(result.name)"
                        + " max_abs=\(short(result.maxAbsError)) tol=\(short(result.tolerance))"
                        + " ratio=\(short(result.ratio))"
                    if let problem = result.problem { line += " (\(problem))" }
                    if let index = result.firstBadIndex { line += " first_bad=\(index)" }
                    StandardOutput.line(line)
                    if result.informational {
                        informational += 1
                    } else if result.passed {
                        passed += 1
                    } else {
                        failed += 1
                    }
                }
            }
            StandardOutput.line("\(passed) passed, \(failed) failed"
                + (informational > 0 ? ", \(informational) informational (bf16 deviation, no bound)" : ""))
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
