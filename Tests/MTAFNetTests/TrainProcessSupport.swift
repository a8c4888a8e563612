import Foundation
@testable import MTAFNet

/// What the tests that run `mtaf-mpi` as a process share: the binary, a runner and a tiny MDis run.
enum TrainProcess {
    /// The `mtaf-mpi` binary built beside the test bundle.
    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("mtaf-mpi").path
    }

    /// Runs `mtaf-mpi` with `arguments` to its end; standard output and error together.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: binary, "reason": "build mtaf-mpi first"])
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Checks the binary exists and writes a small synthetic benchmark (6 source images, 4 train
    /// and 1 val image per target, 64×32) into `root/data`.
    static func prepare(root: String) throws {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: binary, "reason": "build mtaf-mpi first"])
        }
        var options = SyntheticBenchmark.Options()
        options.outputDirectory = root + "/data"
        options.sourceImages = 6
        options.targetTrainImages = 4
        options.targetValImages = 1
        options.size = ImageSize(width: 64, height: 32)
        _ = try SyntheticBenchmark.generate(options)
    }

    /// Writes `<snapshots>.yml`: MDis on two targets of the synthetic data under `root/data`, width
    /// 4, 64×32 inputs, batches of 2, 24 iterations (EARLY_STOP) with a snapshot every
    /// `savePredEvery`, into `snapshots`. Returns the config's path.
    static func writeMDisConfig(name: String, savePredEvery: Int, root: String, snapshots: String) throws -> String {
        let data = root + "/data"
        let yaml = """
            SOURCE: GTA
            TARGETS: [Cityscapes, IDD]
            DATA_LIST_SOURCE: '\(data)/gta5_list/{}.txt'
            DATA_LIST_TARGET: ['\(data)/cityscapes_list/{}.txt', '\(data)/idd_list/{}.txt']
            DATA_DIRECTORY_SOURCE: \(data)/GTA5
            DATA_DIRECTORY_TARGET: [\(data)/Cityscapes, \(data)/IDD]
            EXP_NAME: \(name)
            MODEL_WIDTH: 4
            MODEL_BLOCKS: [1, 1, 1, 1]
            DISCRIMINATOR_NDF: 4
            TRAIN:
              SET_TARGET: [train, train]
              BATCH_SIZE_SOURCE: 2
              BATCH_SIZE_TARGET: 2
              INPUT_SIZE_SOURCE: [64, 32]
              INPUT_SIZE_TARGET: [64, 32]
              MT_FRAMEWORK: MDis
              LEARNING_RATE: 0.01
              MAX_ITERS: 40
              EARLY_STOP: 24
              SAVE_PRED_EVERY: \(savePredEvery)
              SNAPSHOT_DIR: \(snapshots)
            """
        let path = snapshots + ".yml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
