// TensorBoard logging of a training run, as ADVENT's `log_losses_tensorboard` and
// `draw_in_tensorboard` (spec §5.5; `LOG.TENSORBOARD`, docs/from-mtaf.md): scalars every
// iteration, images every `imageEvery` iterations. Only the rank that writes (rank zero) does any work.

import Foundation

/// Writes the losses and, periodically, images of a run to a TensorBoard event file.
///
/// Every iteration i: one scalar event per loss, tag `data/<loss name>` (upstream's names,
/// spec §5.5), step i. When i % imageEvery == imageEvery − 1 (ADVENT's TENSORBOARD_VIZRATE test,
/// default 100), for the source batch (kind `S`) and each target batch (kind `T <target name>`),
/// from the batch's first image: `Image - <kind>` (the input with the preprocessing undone),
/// `Prediction - <kind>` (the colorized argmax of the main logits) and `Entropy - <kind>` (the
/// normalized entropy map, gray); a target batch the writing rank does not host is skipped.
/// Unlike ADVENT, which draws the train-mode output of the iteration, the prediction is
/// recomputed in eval mode after the update (BN running statistics, which it leaves untouched).
///
/// Before the first iteration it sees (0, or the one after a resumed snapshot) it writes a
/// `SessionLog` START at that step, so that TensorBoard drops what an earlier run in the same
/// folder logged from that step on (a resumed run starts a new event file).
public final class TensorBoardObserver: TrainingObserver {
    /// ADVENT's TRAIN.TENSORBOARD_VIZRATE default (also ours).
    public static let defaultImageEvery = 100

    /// The writer, nil on ranks that do not write.
    public let writer: TensorBoardWriter?
    /// Target names in TARGETS order (image tags).
    public let targets: [String]
    /// C (palette).
    public let classCount: Int
    /// IMG_MEAN (B, G, R) to undo the preprocessing.
    public let imageMeanBGR: [Float]
    /// Images every this many iterations.
    public let imageEvery: Int
    /// Whether the SessionLog START has been written.
    private var started = false

    /// - Parameters:
    ///   - directory: The log folder (created).
    ///   - targets: Target names in TARGETS order.
    ///   - classCount: C.
    ///   - imageMeanBGR: TRAIN.IMG_MEAN.
    ///   - imageEvery: Image cadence (≥ 1).
    ///   - writes: Whether this process writes (rank zero); others do nothing.
    /// - Throws: `TensorBoardError.cannotCreate` when the folder or file cannot be created.
    public init(directory: String, targets: [String], classCount: Int, imageMeanBGR: [Float],
                imageEvery: Int = TensorBoardObserver.defaultImageEvery, writes: Bool) throws {
        precondition(imageEvery >= 1, "TensorBoardObserver: imageEvery \(imageEvery)")
        self.writer = writes ? try TensorBoardWriter(directory: directory) : nil
        self.targets = targets
        self.classCount = classCount
        self.imageMeanBGR = imageMeanBGR
        self.imageEvery = imageEvery
    }

    /// The observer of a config: log folder `directory(for:)`, the config's targets, classes and
    /// TRAIN.IMG_MEAN, images every TRAIN.TENSORBOARD_VIZRATE iterations.
    public convenience init(config: MTAFConfig, writes: Bool) throws {
        try self.init(directory: Self.directory(for: config), targets: config.targets, classCount: config.numClasses,
                      imageMeanBGR: config.train.imgMean, imageEvery: config.train.tensorboardVizrate, writes: writes)
    }

    /// The log folder of a run: TRAIN.SNAPSHOT_DIR/tensorboard (next to the snapshots and the
    /// loss log, so one folder holds a run; point `tensorboard --logdir` at it or at a parent).
    public static func directory(for config: MTAFConfig) -> String {
        config.train.snapshotDir + "/tensorboard"
    }

    public func iterationDidFinish(_ iteration: Int, losses: IterationLosses, batch: TrainingBatch,
                                   state: TrainingState) throws {
        guard let writer else { return }
        let now = Date().timeIntervalSince1970
        if !started {
            writer.addSessionStart(step: iteration, wallTime: now)
            started = true
        }
        for entry in losses.entries {
            writer.addScalar("data/\(entry.name)", entry.value, step: iteration, wallTime: now)
        }
        if iteration % imageEvery == imageEvery - 1 {
            try draw(batch.sourceImages, kind: "S", segmenter: state.segmenter, step: iteration, wallTime: now)
            for (t, images) in batch.targetImages.enumerated() where t < targets.count {
                try draw(images, kind: "T \(targets[t])", segmenter: state.segmenter, step: iteration, wallTime: now)
            }
        }
        try writer.flush()
    }

    public func trainingDidFinish() throws {
        try writer?.flush()
    }

    /// The three images of one batch's first image; nothing for a batch this rank does not hold
    /// (a distributed run's empty placeholder of shape [0]).
    private func draw(_ batch: Tensor, kind: String, segmenter: Segmenter, step: Int, wallTime: Double) throws {
        guard let writer, batch.shape.count == 4, batch.shape[0] > 0 else { return }
        let input = TrainingImages.inputImage(batch, meanBGR: imageMeanBGR)
        let (classes, entropy) = TrainingImages.prediction(segmenter, batch: batch)
        try writer.addImage("Image - \(kind)", input, step: step, wallTime: wallTime)
        try writer.addImage("Prediction - \(kind)", Colorize.colors(classes, classCount: classCount), step: step,
                            wallTime: wallTime)
        try writer.addImage("Entropy - \(kind)", TrainingImages.grayImage(entropy, width: classes.width,
                                                                          height: classes.height),
                            step: step, wallTime: wallTime)
    }
}
