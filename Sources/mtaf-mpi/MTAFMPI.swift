import ArgumentParser
@preconcurrency import Glibc   // stdio's `stdout` is a global C variable
import MTAFNet

@main
struct MTAFMPI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mtaf-mpi",
        abstract: "Multi-target adversarial domain adaptation for semantic segmentation, on MPI.",
        version: MTAFNet.version,
        subcommands: [Train.self, Test.self, Plan.self, SelfCheck.self, Verify.self, Bench.self, ShowConfig.self, MakeData.self, Pretrain.self, CompareSnapshots.self, Convert.self])

    static func main() {
        // A reader that goes away (`| head`) makes writes fail with EPIPE, which StandardOutput
        // reports, instead of killing the run; a file-size limit (`ulimit -f`) likewise gives
        // EFBIG, reported with the file, instead of SIGXFSZ.
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
        // stdio's stdout (what libraries print through) is fully buffered when redirected; line
        // buffering keeps a console log whole up to the moment a signal kills the run.
        setvbuf(stdout, nil, _IOLBF, 0)
        main(nil)
    }
}
