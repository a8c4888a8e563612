import Distributed
import Foundation

/// How a run reports progress.
public struct TrainerOptions: Sendable {
    /// Continue from the newest complete snapshot in TRAIN.SNAPSHOT_DIR (if any).
    public var resume = false
    /// Do not seed from RANDOM_SEED (upstream `--random-train`).
    public var randomTrain = false
    /// A progress bar (terminal) instead of upstream's `iter = …` lines.
    public var progressBar = false
    /// Batches decoded ahead per loader.
    public var prefetch = 2
    /// Take the snapshot folder's lock even when another run holds it (`train --force`).
    public var force = false
    /// When set, a request (a signal, see `StopRequest.installSignalHandlers`) ends the run at
    /// the next iteration boundary, agreed by every rank, with a snapshot of that iteration.
    public var stop: StopRequest?

    public init() {}
}

/// Something that watches a run after each iteration (TensorBoard, custom logging). Called on
/// every rank; observers that write files should do so on rank zero only.
public protocol TrainingObserver: AnyObject {
    /// Called after iteration `iteration` ran on `batch` (the state has already advanced).
    func iterationDidFinish(_ iteration: Int, losses: IterationLosses, batch: TrainingBatch,
                            state: TrainingState) throws
    /// Called once when the loop ends normally (at EARLY_STOP or at a requested stop).
    func trainingDidFinish() throws
}

extension TrainingObserver {
    public func trainingDidFinish() throws {}
}

/// What a finished run did.
public struct TrainingSummary: Sendable {
    /// The first iteration this process ran (0, or the one after the resumed snapshot).
    public let firstIteration: Int
    /// The iteration the run stopped before: EARLY_STOP, or where a requested stop ended it
    /// (`--resume` continues there).
    public let endIteration: Int
    /// The signal that stopped the run before EARLY_STOP (any rank's, agreed by all); nil when
    /// it ran to the end.
    public let stoppedBy: Int32?
    /// The snapshots written, by iteration.
    public let snapshots: [Int]
    /// The losses of the last iteration.
    public let lastLosses: IterationLosses?
    /// Wall-clock seconds of the training loop.
    public let seconds: Double
}

/// Why a run stopped with an error that is not a file or config problem.
public enum TrainerError: Error, CustomStringConvertible, Equatable {
    /// A loss went ±Inf or NaN; `restartPoint` names the newest finite snapshot (or says there is none).
    case nonFiniteLoss(name: String, value: Double, iteration: Int, domain: String, restartPoint: String)
    /// Snapshot `iteration` was not written because a tensor of the state is ±Inf or NaN (`reason`
    /// names the file and tensor) while the losses were still finite.
    case nonFiniteState(iteration: Int, reason: String, restartPoint: String)
    case missingRestoreFile(key: String, path: String)
    case inputTooSmall(key: String, size: [Int], minimum: Int)
    case lockRefusedOnRoot(directory: String)

    public var description: String {
        let advice = "look for the cause, e.g. bad input data or too high a learning rate; --resume continues only "
            + "with the same training settings, so a changed learning rate starts a new run or needs a new EXP_NAME"
        switch self {
        case let .nonFiniteLoss(name, value, iteration, domain, restartPoint):
            return "\(name) is \(value) at iteration \(iteration) (\(domain)); training stopped; \(restartPoint) (\(advice))"
        case let .nonFiniteState(iteration, reason, restartPoint):
            return "snapshot \(iteration) refused: \(reason); training stopped; \(restartPoint) (\(advice))"
        case let .missingRestoreFile(key, path):
            return "\(key): \(path) does not exist (an empty value starts from the model's own initialization)"
        case let .inputTooSmall(key, size, minimum):
            return "\(key) is \(size): the discriminator halves its input five times (spec §3), so each side needs at least \(minimum) pixels"
        case let .lockRefusedOnRoot(directory):
            return "rank 0 could not take the lock of the snapshot folder \(directory) (rank 0's message says why)"
        }
    }
}

/// The training loop of upstream's `train.py` (spec §6.4) around one framework's iteration
/// (spec §5): seeds, initialization, data, the iteration loop, logging, snapshots and resume.
public final class Trainer {
    public let config: MTAFConfig
    public let cluster: any Cluster
    public let options: TrainerOptions
    /// Watchers called after every iteration.
    public var observers: [any TrainingObserver] = []
    private let log: (String) -> Void

    /// - Parameters:
    ///   - config: a loaded, validated configuration.
    ///   - cluster: the processes: a world of one, or MPI ranks hosting targets (architecture §3.1).
    ///   - options: resume, seeding, progress.
    ///   - log: where rank zero's lines go (standard output by default).
    public init(config: MTAFConfig, cluster: any Cluster, options: TrainerOptions = TrainerOptions(),
                log: @escaping (String) -> Void = { StandardOutput.line($0) }) {
        self.config = config
        self.cluster = cluster
        self.options = options
        self.log = log
    }

    /// A hash of the configuration fields that shape the trained model. Keys that may change
    /// between a run and its resumption (EARLY_STOP, SAVE_PRED_EVERY, logging, threads, gradient
    /// bucket size, checked collectives, the collective timeout, the TEST section) and where the
    /// run lives (EXP_NAME, the EXP_ROOT folders, SNAPSHOT_DIR: a moved snapshot folder resumes)
    /// are left out.
    public static func configHash(_ config: MTAFConfig) -> String {
        var shaping = config
        shaping.train.earlyStop = 0
        shaping.train.savePredEvery = 0
        shaping.train.snapshotDir = ""
        shaping.expName = ""
        shaping.expRoot = ""
        shaping.expRootSnapshot = ""
        shaping.expRootLogs = ""
        shaping.log = LogConfig()
        shaping.dist.threadsPerRank = 0
        shaping.dist.bucketMB = DistConfig().bucketMB
        shaping.dist.checkedCollectives = DistConfig().checkedCollectives
        shaping.dist.timeoutS = DistConfig().timeoutS
        shaping.dist.deterministic = DistConfig().deterministic
        shaping.test = TestConfig()
        return String(FNV1a.hash(shaping.yamlText), radix: 16)
    }

    /// The rank layout of a distributed run, or the reason the world cannot run this config
    /// (with what would work).
    ///
    /// - Throws: `TrainingError.unsupportedWorld`.
    public static func layout(for config: MTAFConfig, worldSize: Int) throws -> TargetLayout {
        let kind = config.framework
        if !kind.readsTargetData && worldSize > 1 {
            throw TrainingError.unsupportedWorld(
                size: worldSize, reason: "\(kind) hosts no target domain, so its ranks would all repeat the same work; "
                    + "run it on one rank (without mpirun or with mpirun -np 1)")
        }
        do {
            return try TargetLayout(targets: max(config.targetCount, 1), ranks: worldSize)
        } catch {
            throw TrainingError.unsupportedWorld(size: worldSize, reason: "\(error)")
        }
    }

    /// Runs (or resumes) the training of the config. In a distributed run a failure on any rank
    /// ends the whole job through `Cluster.abort` with the rank and the reason (no rank is left
    /// waiting in a collective).
    public func run() throws -> TrainingSummary {
        guard cluster.size > 1 else { return try runLoop() }
        do {
            return try runLoop()
        } catch {
            cluster.abort(code: 1, message: "mtaf-mpi train: \(error)")
        }
    }

    private func runLoop() throws -> TrainingSummary {
        // Ranks set up at their own pace (data lists, restore) and the first iteration warms up:
        // collectives get the long allowance until the first iteration ends, and again around
        // each snapshot (rank zero writes the files while the others wait).
        cluster.timeout.long = true
        defer { cluster.timeout.long = false }
        let layout = try Self.layout(for: config, worldSize: cluster.size)
        if config.dist.checkedCollectives, let world = cluster.world as? Communicator { world.checked = true }
        let store = SnapshotStore(directory: config.train.snapshotDir)
        try store.prepare()
        let lock = try acquireLock(store)
        defer { lock?.release() }
        let resumeManifest = options.resume ? try agreedLatestSnapshot(store) : nil
        if cluster.isRoot {
            // Under the lock nobody else writes here: leftovers of interrupted writes go first,
            // so that on a full disk they do not hold the space this run needs.
            var removed = store.removeStaleTemporaryFiles()
            if options.resume { removed += store.removeUnfinishedSnapshots(newerThan: resumeManifest?.iteration ?? -1) }
            if !removed.isEmpty {
                printToStandardError("mtaf-mpi train: removed what interrupted writes left in \(store.directory): "
                                     + removed.joined(separator: ", "))
            }
            _ = try config.writeEffective(into: config.train.snapshotDir)
        }
        let hash = Self.configHash(config)
        let seed = options.randomTrain ? UInt64.random(in: 0 ... UInt64.max) : UInt64(config.train.randomSeed)
        let random = RandomStream(seed: seed)
        let kind = config.framework
        if !kind.discriminatorRoles(targetCount: config.targetCount).isEmpty {
            for (key, size) in [("TRAIN.INPUT_SIZE_SOURCE", config.train.inputSizeSource),
                                ("TRAIN.INPUT_SIZE_TARGET", config.train.inputSizeTarget)] where size.min()! < 32 {
                throw TrainerError.inputTooSmall(key: key, size: size, minimum: 32)
            }
        }
        let state = try TrainingState.initialized(
            framework: kind, hyperParameters: TrainingHyperParameters(config: config), blocks: config.modelBlocks,
            width: config.modelWidth, ndf: config.discriminatorNDF, random: random.split(index: 0))
        if !config.train.restoreFrom.isEmpty {
            guard FileManager.default.fileExists(atPath: config.train.restoreFrom) else {
                throw TrainerError.missingRestoreFile(key: "TRAIN.RESTORE_FROM", path: config.train.restoreFrom)
            }
            try ModelCheckpoint.restore(state.segmenter.stateDict, from: config.train.restoreFrom,
                                        note: { if cluster.isRoot { printToStandardError($0) } })
        }
        var positions: [String: Int] = [:]
        var resumedFrom: Int?
        if let manifest = resumeManifest {
            positions = try TrainingCheckpoint.restore(state, from: manifest, in: store, configHash: hash)
            resumedFrom = manifest.iteration
            log0("resuming from \(store.path(SnapshotManifest.fileName(iteration: manifest.iteration))) at iteration \(state.iteration)")
        } else if options.resume {
            log0("no complete snapshot in \(store.directory): starting from iteration 0")
        }
        let synchronization = try TrainingSynchronization.forCluster(cluster, layout: layout,
                                                                      sourceMode: config.dist.sourceModeValue,
                                                                      bucketMB: config.dist.bucketMB,
                                                                      deterministic: config.dist.deterministic)
        let data = try TrainingData(config: config, seed: seed,
                                    positions: positions, requirePositions: resumedFrom != nil,
                                    placement: synchronization.placement, prefetch: options.prefetch)
        if cluster.size > 1 {
            log0(layout.render(targetNames: config.targets) + "\nsource mode \(config.dist.sourceMode)")
        }
        let framework = try TrainingFrameworks.make(state, synchronization: synchronization)
        let lossLog = cluster.isRoot
            ? try LossLogFile(path: store.path("losses.jsonl"), resumeIteration: resumedFrom) : nil

        let first = state.iteration, end = config.train.earlyStop
        log0("training \(config.train.mtFramework) on \(config.targets.joined(separator: ", ")) "
             + "(\(config.train.model), blocks \(config.modelBlocks), width \(config.modelWidth)), "
             + "iterations \(first)..<\(end), snapshots every \(config.train.savePredEvery) in \(store.directory)")
        var snapshots: [Int] = []
        var lastLosses: IterationLosses?
        var stoppedBy: Int32?
        // Writes snapshot `iteration` (the state after it ran) on every rank and checks the replicas.
        func saveSnapshot(_ iteration: Int) throws {
            // Gathering and writing a snapshot may keep ranks waiting longer than an iteration.
            cluster.timeout.long = true
            defer { cluster.timeout.long = false }
            do {
                try TrainingCheckpoint.save(state, iteration: iteration, counters: data.positions, to: store,
                                            configHash: hash, notes: ["targets": config.targets.joined(separator: ",")],
                                            placement: synchronization.placement, world: synchronization.world)
            } catch let error as SafeTensorsError {
                guard case .nonFinite = error else { throw error }
                throw TrainerError.nonFiniteState(iteration: iteration, reason: "\(error)",
                                                  restartPoint: Self.restartPoint(store))
            }
            snapshots.append(iteration)
            if options.progressBar { log0("") }
            if cluster.size > 1 {
                log0(try ReplicaCheck.verify(state, placement: synchronization.placement, world: synchronization.world))
            }
            log0("snapshot \(store.path(TrainingCheckpoint.modelStem(iteration) + ".safetensors"))")
        }
        let start = Date()
        while state.iteration < end {
            let iteration = state.iteration
            if let stop = options.stop, let signal = try synchronization.agreeOnStop(stop.signal) {
                // Every rank stops here: snapshot the last iteration run, unless nothing ran
                // (a stop during start-up) or the periodic snapshot just took it.
                stoppedBy = signal
                if options.progressBar { log0("") }
                log0("\(StopRequest.name(of: signal)): every rank stops before iteration \(iteration)")
                if iteration > first, snapshots.last != iteration - 1 { try saveSnapshot(iteration - 1) }
                break
            }
            let iterationStart = Date()
            let batch = try data.next()
            let losses = try framework.trainIteration(on: batch)
            if let bad = losses.firstNonFinite {
                throw TrainerError.nonFiniteLoss(name: bad.name, value: bad.value, iteration: iteration,
                                                 domain: Self.domain(ofLoss: bad.name),
                                                 restartPoint: Self.restartPoint(store))
            }
            let seconds = Date().timeIntervalSince(iterationStart)
            try lossLog?.append(iteration: iteration, losses: losses, seconds: seconds)
            try lock?.heartbeat()
            report(iteration: iteration, end: end, losses: losses, elapsed: Date().timeIntervalSince(start),
                   done: iteration - first + 1)
            lastLosses = losses
            for observer in observers {
                try observer.iterationDidFinish(iteration, losses: losses, batch: batch, state: state)
            }
            let periodic = iteration % config.train.savePredEvery == 0 && iteration != 0
            if periodic || iteration == end - 1 { try saveSnapshot(iteration) }
            cluster.timeout.long = false  // the first iteration is over
        }
        for observer in observers { try observer.trainingDidFinish() }
        if cluster.size > 1 {
            let total = Date().timeIntervalSince(start)
            let parts = synchronization.time.seconds.sorted { $0.key < $1.key }
                .map { "\($0.key) \(String(format: "%.2f", $0.value)) s" }.joined(separator: ", ")
            log0("rank 0 communication: \(String(format: "%.2f", synchronization.time.total)) s of "
                 + "\(String(format: "%.2f", total)) s (\(String(format: "%.1f", 100 * synchronization.time.total / max(total, 1e-9))) %): \(parts); "
                 + (config.dist.deterministic ? "gradients summed in canonical order after the backward (DIST.DETERMINISTIC)"
                    : "gradient buckets started during the backward: \(synchronization.time.bucketsStartedEarly) of "
                        + "\(synchronization.time.buckets)"))
            for line in try synchronization.time.perRankReport(seconds: total, world: cluster.world) { log0(line) }
        }
        return TrainingSummary(firstIteration: first, endIteration: stoppedBy == nil ? end : state.iteration,
                               stoppedBy: stoppedBy,
                               snapshots: snapshots, lastLosses: lastLosses, seconds: Date().timeIntervalSince(start))
    }

    /// Takes the snapshot folder's lock on rank zero (nil elsewhere); under mpirun every rank
    /// learns whether it did, so a refusal fails every rank instead of leaving them waiting.
    private func acquireLock(_ store: SnapshotStore) throws -> SnapshotLock? {
        var lock: SnapshotLock?
        var refusal: (any Error)?
        if cluster.isRoot {
            do {
                lock = try SnapshotLock.acquire(directory: store.directory, force: options.force,
                                                report: printToStandardError)
            } catch {
                refusal = error
                // Out before any rank aborts the job, whichever is first.
                if cluster.size > 1 { printToStandardError("mtaf-mpi train: rank 0: \(error)") }
            }
        }
        if cluster.size > 1 {
            var taken = [Int64(refusal == nil ? 1 : 0)]
            try cluster.world.broadcast(&taken, root: 0)
            if taken[0] == 0 && !cluster.isRoot { throw TrainerError.lockRefusedOnRoot(directory: store.directory) }
        }
        if let refusal { throw refusal }
        return lock
    }

    /// The newest usable snapshot as rank zero sees it, which says on standard error which newer
    /// ones it skipped and why, and when the chosen one predates checksums; every rank reads
    /// that one (a rank that cannot read it fails, which aborts the job).
    private func agreedLatestSnapshot(_ store: SnapshotStore) throws -> SnapshotManifest? {
        var newest: SnapshotManifest?
        if cluster.isRoot {
            let scan = store.scan()
            for skipped in scan.skipped {
                printToStandardError("mtaf-mpi train: --resume skips snapshot \(skipped.iteration) in \(store.directory): "
                                     + skipped.reason)
            }
            if let manifest = scan.newest, manifest.files.contains(where: { $0.crc32c == nil }) {
                printToStandardError("mtaf-mpi train: snapshot \(manifest.iteration) has no checksums (written by an older "
                                     + "version): its files are checked by size only")
            }
            newest = scan.newest
        }
        guard cluster.size > 1 else { return newest }
        var iteration = [Int64(newest?.iteration ?? -1)]
        try cluster.world.broadcast(&iteration, root: 0)
        guard iteration[0] >= 0 else { return nil }
        return try newest ?? store.readManifest(iteration: Int(iteration[0]))
    }

    /// Where a diverged run can restart: the newest snapshot that reads back finite.
    static func restartPoint(_ store: SnapshotStore) -> String {
        guard let manifest = store.newestFinite() else { return "no finite snapshot in \(store.directory)" }
        return "newest finite snapshot: " + store.path(TrainingCheckpoint.modelStem(manifest.iteration) + ".safetensors")
    }

    /// Which data a loss comes from, for error messages.
    static func domain(ofLoss name: String) -> String {
        if name.contains("_src") { return "source batch" }
        if name.hasPrefix("loss_d_") { return "discriminator phase" }
        if name.contains("_trg") { return "target batch" }
        return "iteration"
    }

    private func report(iteration: Int, end: Int, losses: IterationLosses, elapsed: Double, done: Int) {
        guard cluster.isRoot else { return }
        if options.progressBar {
            let fraction = Double(iteration + 1) / Double(max(end, 1))
            let filled = Int(fraction * 30)
            let rate = Double(done) / max(elapsed, 1e-9)
            let summary = losses.entries.map { "\($0.name.replacingOccurrences(of: "loss_", with: ""))=\(String(format: "%.3f", $0.value))" }
                .joined(separator: " ")
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 30 - filled)
            let line = "\r[\(bar)] \(iteration + 1)/\(end) \(String(format: "%.2f", rate)) it/s \(summary)"
            StandardOutput.write(line)
        } else if iteration % max(config.log.every, 1) == 0 || iteration == end - 1 {
            log(losses.upstreamLine(iteration: iteration))
        }
    }

    private func log0(_ line: String) {
        if cluster.isRoot { log(line) }
    }
}
