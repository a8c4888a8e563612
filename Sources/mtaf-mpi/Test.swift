import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate checkpoints on every target's validation set: per-class IoU and mIoU (spec §8).")

        @OptionGroup var config: ConfigOptions

        @OptionGroup var precision: PrecisionOption

        @Option(help: "Also write every evaluated checkpoint's results as JSON to this file.")
        var json: String?

        @Option(help: "The folder for results_<mode>.json and results_<mode>.md (default: TEST.SNAPSHOT_DIR[0]).")
        var out: String?

        @Option(help: ArgumentHelp("Save predictions as <DIR>/<target>/<image>_color.png and _pred.png (best mode: each target's best checkpoint).",
                                   valueName: "dir"))
        var savePredictions: String?

        @Option(parsing: .upToNextOption,
                help: ArgumentHelp("Export predictions at the ground truth's full resolution as <DIR>/<target>/<image>.png: "
                                   + "'cityscapes' writes Cityscapes label ids for the official evaluator, 'trainids' train ids "
                                   + "(best mode: each target's best checkpoint).",
                                   valueName: "format> <dir"))
        var export: [String] = []

        @Option(help: ArgumentHelp("Save each image's main-level logits as <DIR>/<target>/<image>.safetensors (tensor 'logits', [C, h, w]).",
                                   valueName: "dir"))
        var saveLogits: String?

        @Flag(help: "Single mode: also score the source's held-out validation set (the synthetic benchmark has one).")
        var sourceVal = false

        func validate() throws {
            if !config.hasConfig { throw ValidationError("Please give a configuration file with --cfg FILE.") }
            _ = try exportRequest()
        }

        /// `--export FORMAT DIR` as a format and a folder; nil without --export.
        func exportRequest() throws -> (directory: String, format: ExportFormat)? {
            if export.isEmpty { return nil }
            let formats = ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")
            guard export.count == 2 else {
                throw ValidationError("--export takes a format and a folder (--export cityscapes DIR), got \(export.count) value(s): \(export.joined(separator: " "))")
            }
            guard let format = ExportFormat(rawValue: export[0]) else {
                throw ValidationError("--export: unknown format '\(export[0])' (formats: \(formats))")
            }
            return (export[1], format)
        }

        func run() throws {
            let (settings, cluster) = try config.startRun(command: "test", precision: precision,
                                                                ampKey: ("TEST.AMP", \.test.amp))
            // Ranks outside a target's group wait while the group scores its share of the images.
            cluster.timeout.long = true
            defer { try? cluster.finalize() }
            do {
                let runner = TestRunner(config: settings, cluster: cluster)
                runner.predictionDirectory = savePredictions
                runner.export = try exportRequest()
                runner.logitsDirectory = saveLogits
                runner.includeSourceValidation = sourceVal
                let report = try runner.runReport()
                guard cluster.isRoot else { return }
                let paths = try report.write(toDirectory: out ?? settings.test.snapshotDir[0])
                cluster.log0("results: \(paths.json), \(paths.markdown)")
                if let savePredictions { cluster.log0("predictions: \(savePredictions)") }
                if let request = try exportRequest() { cluster.log0("export (\(request.format.rawValue)): \(request.directory)") }
                if let saveLogits { cluster.log0("logits: \(saveLogits)") }
                if let json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    let records = report.evaluated.map { TestRecord(checkpoint: $0.checkpoint, targets: $0.targets) }
                    try encoder.encode(records).write(to: URL(fileURLWithPath: json), options: .atomic)
                }
            } catch {
                printToStandardError("mtaf-mpi test: \(error)")
                throw ExitCode.failure
            }
        }
    }
}

/// One evaluated checkpoint in `test --json` output.
struct TestRecord: Encodable {
    let checkpoint: String
    let targets: [TargetResult]
}
