import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate checkpoints on every target's validation set: per-class IoU and mIoU (spec §8).")

        @OptionGroup var config: ConfigOptions

        @Option(help: "Also write the results as JSON to this file.")
        var json: String?

        func validate() throws {
            if !config.hasConfig { throw ValidationError("Please give a configuration file with --cfg FILE.") }
        }

        func run() throws {
            let settings = try config.load()
            let cluster = try ClusterLauncher.fromEnvironment()
            defer { try? cluster.finalize() }
            setBLASThreads(RankThreads.count(requested: settings.dist.threadsPerRank))
            ActivationMemory.keepFreedPages()
            do {
                let evaluated = try TestRunner(config: settings, cluster: cluster).run()
                if let json, cluster.isRoot {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                    let records = evaluated.map { TestRecord(checkpoint: $0.checkpoint, targets: $0.results) }
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
