import Foundation
@testable import MTAFNet

/// A tiny synthetic benchmark and a config over it, shared by the trainer and output tests:
/// width-4 one-block models, 64×32 inputs, 3 targets, snapshots every 2 iterations.
enum TinyBenchmark {
    /// Generates a benchmark under a new temporary folder and returns the folder.
    static func generate(sourceImages: Int, targetTrainImages: Int, targetValImages: Int) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tiny-\(UUID().uuidString)").path
        var options = SyntheticBenchmark.Options()
        options.outputDirectory = directory + "/data"
        options.sourceImages = sourceImages
        options.targetTrainImages = targetTrainImages
        options.targetValImages = targetValImages
        options.targetTuneImages = targetValImages
        options.size = ImageSize(width: 64, height: 32)
        _ = try! SyntheticBenchmark.generate(options)
        return directory
    }

    /// A config for `framework` on the benchmark at `root`, snapshots in `snapshots`: 6 iterations,
    /// raised learning rate and adversarial weights; best mode scans snapshots 2 and 4.
    static func config(root: String, framework: String, snapshots: String, overrides: [String] = []) throws -> MTAFConfig {
        let data = root + "/data"
        let model = framework == "MTKT" ? "DeepLabv2MTKT" : "DeepLabv2"
        let yaml = """
            SOURCE: GTA
            TARGETS: [Cityscapes, Mapillary, IDD]
            DATA_LIST_SOURCE: '\(data)/gta5_list/{}.txt'
            DATA_LIST_TARGET: ['\(data)/cityscapes_list/{}.txt', '', '\(data)/idd_list/{}.txt']
            DATA_DIRECTORY_SOURCE: \(data)/GTA5
            DATA_DIRECTORY_TARGET: [\(data)/Cityscapes, \(data)/Mapillary, \(data)/IDD]
            EXP_NAME: tiny
            MODEL_WIDTH: 4
            MODEL_BLOCKS: [1, 1, 1, 1]
            DISCRIMINATOR_NDF: 4
            TRAIN:
              SET_TARGET: [train, train, train]
              BATCH_SIZE_SOURCE: 2
              BATCH_SIZE_TARGET: 2
              INPUT_SIZE_SOURCE: [64, 32]
              INPUT_SIZE_TARGET: [64, 32]
              MODEL: \(model)
              MT_FRAMEWORK: \(framework)
              LEARNING_RATE: 0.01
              LAMBDA_ADV_MAIN: 0.1
              LAMBDA_ADV_AUX: 0.02
              MAX_ITERS: 20
              EARLY_STOP: 6
              SAVE_PRED_EVERY: 2
              SNAPSHOT_DIR: \(snapshots)
              TEACHER_ITERS: 2
            TEST:
              MODE: best
              MODEL: [\(model)]
              SNAPSHOT_DIR: [\(snapshots)]
              SNAPSHOT_STEP: 2
              SNAPSHOT_MAXITER: 6
              SET_TARGET: [val, validation, val]
              INPUT_SIZE_TARGET: [64, 32]
              OUTPUT_SIZE_TARGET: [64, 32]
            """
        return try MTAFConfig.load(yaml: yaml, overrides: overrides)
    }
}
