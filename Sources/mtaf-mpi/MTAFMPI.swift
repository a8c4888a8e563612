import ArgumentParser
import MTAFNet

@main
struct MTAFMPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtaf-mpi",
        abstract: "Multi-target adversarial domain adaptation for semantic segmentation, on MPI.",
        version: MTAFNet.version,
        subcommands: [Train.self, Test.self, Plan.self, SelfCheck.self, Verify.self, Bench.self, ShowConfig.self, MakeData.self, CompareSnapshots.self])
}
