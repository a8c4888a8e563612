// What a snapshot holds (spec §5.5 stems, §10: everything needed to resume) and how a training
// state is written to and restored from one.
//
// Files of snapshot i (taken after iteration i ran, so a resumed run starts at i + 1):
// - `model_<i>.safetensors`: the segmenter's state dict (upstream's `model_<i>.pth`);
// - `model_<i>_<D…>.safetensors`: every discriminator under upstream's stem (DiscriminatorRole);
// - `model_<i>_state.safetensors`: SGD momentum buffers (`seg.<key>.momentum_buffer`), each
//   discriminator's Adam moments and step counts (`<disc>.<key>.exp_avg`, …), the next
//   iteration and every loader's next position (`trainer.*`, int64 scalars);
// - `model_<i>.manifest.json`, written last.

import Distributed
import Foundation

/// Saves and restores a `TrainingState` plus the trainer's counters through a `SnapshotStore`.
public enum TrainingCheckpoint {
    /// The stem of the segmenter file of iteration i.
    public static func modelStem(_ iteration: Int) -> String { "model_\(iteration)" }

    /// The stem of `role`'s discriminator file of iteration i: `model_<i>_<role.snapshotSuffix>`.
    public static func discriminatorStem(_ iteration: Int, _ role: DiscriminatorRole) -> String {
        modelStem(iteration) + "_" + role.snapshotSuffix
    }

    /// The discriminator whose file of iteration i is `file` (`model_<i>_D_aux_1.safetensors`),
    /// or nil for the segmenter, state and manifest files.
    public static func discriminatorRole(ofFile file: String, iteration: Int) -> DiscriminatorRole? {
        let prefix = modelStem(iteration) + "_", suffix = ".safetensors"
        guard file.hasPrefix(prefix), file.hasSuffix(suffix) else { return nil }
        return DiscriminatorRole(snapshotSuffix: String(file.dropFirst(prefix.count).dropLast(suffix.count)))
    }

    /// Writes every file of snapshot `iteration` and then its manifest.
    ///
    /// - Parameters:
    ///   - state: the training state after iteration `iteration` ran.
    ///   - iteration: the snapshot's number.
    ///   - counters: trainer counters to restore later (loader positions), int64 scalars.
    ///   - store: the snapshot folder.
    ///   - configHash: the effective configuration's hash (resume refuses another).
    ///   - placement: this rank's share in a distributed run (nil: one process).
    ///   - world: every rank of a distributed run (nil: one process).
    ///
    /// Distributed (architecture §3.10): collective. Rank zero holds every shared tensor (the segmenter,
    /// MTKT's heads included, its SGD state, a shared discriminator); each hosted
    /// discriminator's weights and Adam state come from its group's leader and each rank's
    /// loader positions from that rank, gathered to rank zero, which writes the same files as
    /// one process, then the manifest last; a barrier ends the call on every rank.
    ///
    /// - Throws: `SafeTensorsError.nonFinite` (nothing written) when a tensor holds ±Inf or NaN.
    public static func save(_ state: TrainingState, iteration: Int, counters: [String: Int],
                            to store: SnapshotStore, configHash: String,
                            notes: [String: String] = [:], placement: TrainingPlacement,
                            world: any Collectives) throws {
        var contents = self.contents(state, counters: counters, iteration: iteration)
        let mine = contributions(of: contents, iteration: iteration, state: state, placement: placement, counters: counters)
        let gathered = try SnapshotContribution.gather(mine, to: 0, world: world)
        guard world.rank == 0 else {
            try world.barrier()
            return
        }
        for entry in gathered {
            guard let index = contents.firstIndex(where: { $0.stem == entry.stem }) else { continue }
            contents[index].tensors[entry.name] = entry.value
        }
        // Every file is checked before the first is written: a diverged state leaves no part of
        // its snapshot behind.
        for file in contents { try SafeTensors.checkFinite(file.tensors, path: store.path(file.stem + ".safetensors")) }
        var files: [SnapshotManifest.FileRecord] = []
        do {
            for file in contents { files.append(try store.writeFile(stem: file.stem, tensors: file.tensors)) }
            try store.writeManifest(SnapshotManifest(iteration: iteration, framework: state.framework.rawValue,
                                                     configHash: configHash, files: files, notes: notes))
        } catch {
            // A snapshot that could not be finished (a full disk) leaves no files behind: they
            // would hold space and never be used without their manifest.
            for file in files { unlink(store.path(file.name)) }
            throw error
        }
        try world.barrier()
    }

    /// The files of a snapshot as this rank sees them, in writing order.
    static func contents(_ state: TrainingState, counters: [String: Int],
                         iteration: Int) -> [(stem: String, tensors: [String: SafeTensors.Value])] {
        let stem = modelStem(iteration)
        var files: [(stem: String, tensors: [String: SafeTensors.Value])] = []
        files.append((stem, ModelCheckpoint.tensors(of: state.segmenter.stateDict)))
        for slot in state.discriminators {
            files.append((discriminatorStem(iteration, slot.role), ModelCheckpoint.tensors(of: slot.model.stateDict)))
        }
        var tensors: [String: SafeTensors.Value] = [:]
        add(state.segmenterOptimizer.exportState(), prefix: "seg.", to: &tensors)
        for slot in state.discriminators { add(slot.optimizer.exportState(), prefix: slot.key + ".", to: &tensors) }
        tensors["trainer.iteration"] = .i64(shape: [], values: [Int64(state.iteration)])
        for (name, value) in counters { tensors["trainer." + name] = .i64(shape: [], values: [Int64(value)]) }
        files.append((stem + "_state", tensors))
        return files
    }

    /// What a rank other than zero sends to rank zero: the discriminators it writes for its
    /// groups (weights and Adam state) and its own loader positions.
    static func contributions(of contents: [(stem: String, tensors: [String: SafeTensors.Value])], iteration: Int,
                              state: TrainingState, placement: TrainingPlacement,
                              counters: [String: Int]) -> [SnapshotContribution] {
        guard placement.rank != 0 else { return [] }
        var result: [SnapshotContribution] = []
        let stateStem = contents.last!.stem
        let ownedRoles = state.discriminators.filter { placement.owner(of: $0.role) == placement.rank }
        for slot in ownedRoles {
            let fileStem = discriminatorStem(iteration, slot.role)
            if let file = contents.first(where: { $0.stem == fileStem }) {
                for (name, value) in file.tensors { result.append(SnapshotContribution(stem: fileStem, name: name, value: value)) }
            }
            for (name, value) in contents.last!.tensors where name.hasPrefix(slot.key + ".") {
                result.append(SnapshotContribution(stem: stateStem, name: name, value: value))
            }
        }
        for name in counters.keys {
            let key = "trainer." + name
            if let value = contents.last!.tensors[key] {
                result.append(SnapshotContribution(stem: stateStem, name: key, value: value))
            }
        }
        return result
    }

    /// Restores snapshot `manifest` into a freshly built state of the same configuration.
    ///
    /// - Returns: the trainer counters saved with it (without the `trainer.` prefix).
    /// - Throws: `SnapshotError` for another configuration, `CheckpointError` naming the file
    ///   and keys for a state dict that does not fit, `OptimizerError` for optimizer state.
    public static func restore(_ state: TrainingState, from manifest: SnapshotManifest, in store: SnapshotStore,
                               configHash: String) throws -> [String: Int] {
        let stem = modelStem(manifest.iteration)
        guard manifest.configHash == configHash else {
            throw SnapshotError.configMismatch(file: store.path(SnapshotManifest.fileName(iteration: manifest.iteration)),
                                               expected: configHash, found: manifest.configHash)
        }
        try ModelCheckpoint.load(state.segmenter.stateDict, from: store.path(stem + ".safetensors"))
        for slot in state.discriminators {
            try ModelCheckpoint.load(slot.model.stateDict, from: store.path(discriminatorStem(manifest.iteration, slot.role) + ".safetensors"))
        }
        let path = store.path(stem + "_state.safetensors")
        let file = try SafeTensors.read(contentsOf: path)
        try state.segmenterOptimizer.importState(try optimizerState(file, prefix: "seg."))
        for slot in state.discriminators {
            try slot.optimizer.importState(try optimizerState(file, prefix: slot.key + "."))
        }
        state.restoreGradientFlagsFromOptimizerState()
        var counters: [String: Int] = [:]
        for name in file.names where name.hasPrefix("trainer.") {
            counters[String(name.dropFirst("trainer.".count))] = Int(try file.int64s(name).values[0])
        }
        guard let next = counters.removeValue(forKey: "iteration") else {
            throw SnapshotError.incomplete(file: path, reason: "no trainer.iteration")
        }
        state.iteration = next
        return counters
    }

    private static func add(_ optimizer: OptimizerState, prefix: String, to tensors: inout [String: SafeTensors.Value]) {
        for entry in optimizer.tensors {
            tensors[prefix + entry.name] = .f32(Tensor(shape: entry.shape, values: entry.values))
        }
        for counter in optimizer.counters {
            tensors[prefix + counter.name] = .i64(shape: [], values: [Int64(counter.value)])
        }
    }

    /// The optimizer state stored under `prefix` (F32 tensors are moments, I64 scalars counters).
    private static func optimizerState(_ file: SafeTensorsFile, prefix: String) throws -> OptimizerState {
        var state = OptimizerState()
        for name in file.names.sorted() where name.hasPrefix(prefix) {
            let key = String(name.dropFirst(prefix.count))
            let entry = try file.entry(name)
            if entry.dtype == .i64 {
                state.counters.append(.init(name: key, value: Int(try file.int64s(name).values[0])))
            } else {
                let tensor = try file.tensor(name)
                state.tensors.append(.init(name: key, shape: tensor.shape, values: tensor.scalars))
            }
        }
        return state
    }
}
