import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    /// `mtaf-mpi compare-snapshots`: the worst difference per file of one snapshot in two folders.
    struct CompareSnapshots: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compare-snapshots",
            abstract: "Compare every tensor of one snapshot in two snapshot folders.",
            discussion: """
                One line per file of the first folder's manifest: OK or FAIL, the file, the tensor \
                with the worst difference, that difference and its ratio to the tolerance; then \
                "N passed, N failed". An element passes when |a − b| ≤ tolerance · (the larger max \
                |value| of the two tensors); integer tensors must be equal. Exits with 1 if anything \
                failed.
                """)

        @Argument(help: "The first snapshot folder (its manifest lists the files).")
        var first: String

        @Argument(help: "The second snapshot folder.")
        var second: String

        @Option(help: "The snapshot's iteration number.")
        var iteration: Int

        @Option(help: "The relative tolerance (to each tensor's largest magnitude).")
        var tolerance: Double = 1e-4

        @Option(help: "The absolute allowance of discriminator weights whose Adam second moment is eps-dominated (0: none).")
        var adamAllowance: Double = 0

        func validate() throws {
            if tolerance < 0 { throw ValidationError("--tolerance must not be negative, got \(tolerance).") }
            if iteration < 0 { throw ValidationError("--iteration must not be negative, got \(iteration).") }
        }

        func run() throws {
            let results = try SnapshotComparison.compare(first, second, iteration: iteration, tolerance: tolerance,
                                                         adamAllowance: adamAllowance > 0 ? adamAllowance : nil)
            var passed = 0, failed = 0
            for result in results {
                var line = "\(result.passed ? "OK  " : "FAIL") \(result.file) tensors=\(result.tensors)"
                    + " worst=\(result.worstTensor) max_abs=\(short(result.worstDifference))"
                    + " ratio=\(short(result.worstRatio))"
                if result.failures > 0 { line += " beyond=\(result.failures)" }
                if result.allowanceElements > 0 {
                    line += " adam_allowance=\(result.allowanceElements) (max_abs \(short(result.allowanceWorst)))"
                }
                if !result.problems.isEmpty { line += " problems: " + result.problems.joined(separator: "; ") }
                StandardOutput.line(line)
                if result.passed { passed += 1 } else { failed += 1 }
            }
            StandardOutput.line("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode.failure }
        }

        private func short(_ value: Double) -> String {
            value.isNaN ? "nan" : String(format: "%.3g", value)
        }
    }
}
