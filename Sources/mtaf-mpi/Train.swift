import ArgumentParser
import Distributed
import Foundation
import MTAFNet

extension MTAFMPI {
    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train a segmenter with the framework the config names (spec §5, §6.4).")

        @OptionGroup var config: ConfigOptions

        @OptionGroup var precision: PrecisionOption

        @Flag(help: "Continue from the newest complete snapshot in TRAIN.SNAPSHOT_DIR.")
        var resume = false

        @Flag(help: "Do not seed the random streams from TRAIN.RANDOM_SEED (upstream --random-train).")
        var randomTrain = false

        @Flag(help: "Take TRAIN.SNAPSHOT_DIR's lock (train.lock) even when another run holds it; only when that run is certainly gone.")
        var force = false

        @Flag(help: "Show a progress bar instead of upstream's iter lines (default: on a terminal).")
        var progress = false

        /// The exit status of a run stopped by SIGTERM, SIGINT or SIGUSR1 after writing the
        /// snapshot of its last iteration: EX_TEMPFAIL of sysexits.h, "try again later" (a job
        /// script requeues on it and the next run continues with --resume).
        static let stoppedExitCode: Int32 = 75

        func validate() throws {
            if !config.hasConfig { throw ValidationError("Please give a configuration file with --cfg FILE.") }
        }

        func run() throws {
            // First of all, so that a stop signal during start-up (MPI_Init, loading) stops the
            // run before its first iteration instead of killing the process.
            let stop = StopRequest.installSignalHandlers()
            let command = "train" + (resume ? " --resume" : "") + (randomTrain ? " --random-train" : "")
            let (settings, cluster) = try config.startRun(command: command, precision: precision,
                                                           ampKey: ("TRAIN.AMP", \.train.amp))
            defer { try? cluster.finalize() }
            var options = TrainerOptions()
            options.resume = resume
            options.randomTrain = randomTrain
            options.force = force
            // Open MPI hands rank 0 a pseudo-terminal even when mpirun's output is redirected, so
            // under a launcher the bar is only drawn on request (--progress).
            options.progressBar = progress || (isatty(1) == 1 && !ClusterLauncher.launchedByMPI)
            if ProcessInfo.processInfo.environment["ADVENT_DRY_RUN"] == "1" {
                cluster.log0(settings.yamlText)
                return
            }
            options.stop = stop
            let summary: TrainingSummary
            do {
                let trainer = Trainer(config: settings, cluster: cluster, options: options)
                if settings.log.tensorboard {
                    // LOG.TENSORBOARD: losses every iteration, images every TRAIN.TENSORBOARD_VIZRATE
                    // (ADVENT's key, default 100) into TRAIN.SNAPSHOT_DIR/tensorboard; rank zero writes.
                    trainer.observers.append(try TensorBoardObserver(config: settings, writes: cluster.isRoot))
                    cluster.log0("TensorBoard event files in \(TensorBoardObserver.directory(for: settings))")
                }
                summary = try trainer.run()
            } catch {
                printToStandardError("mtaf-mpi train: \(error)")
                throw ExitCode.failure
            }
            cluster.log0("trained iterations \(summary.firstIteration)..<\(summary.endIteration) in "
                + String(format: "%.1f s", summary.seconds) + "; snapshots \(summary.snapshots)")
            if let signal = summary.stoppedBy {
                cluster.log0("stopped by \(StopRequest.name(of: signal)) before iteration \(summary.endIteration) of "
                    + "\(settings.train.earlyStop); exit status \(Self.stoppedExitCode): continue with --resume")
                throw ExitCode(Self.stoppedExitCode)
            }
        }
    }
}
