import ArgumentParser
import Foundation
import Distributed
import MTAFNet

extension MTAFMPI {
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print which rank hosts which target domain; under mpirun, check that every rank agrees.")

        @Option(help: "Comma-separated target domains, in TARGETS order (instead of --cfg).")
        var targets: String?

        @OptionGroup var config: ConfigOptions

        @Option(help: "Number of ranks to plan for (default: the MPI world size, or 1 without mpirun).")
        var np: Int?

        func validate() throws {
            if config.hasConfig && targets != nil {
                throw ValidationError("Give the targets either with --cfg FILE (its TARGETS) or with --targets, not both.")
            }
            if !config.hasConfig && targets == nil {
                throw ValidationError("Please give the targets with --cfg FILE (its TARGETS) or --targets A,B.")
            }
            if targets != nil && targetNames.isEmpty {
                throw ValidationError("Please name at least one target domain with --targets.")
            }
            if let np, np < 1 { throw ValidationError("--np must be at least 1, got \(np).") }
        }

        var targetNames: [String] {
            (targets ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func run() throws {
            let cluster = try ClusterLauncher.fromEnvironment()
            defer { try? cluster.finalize() }
            let ranks = np ?? cluster.size
            var loaded: MTAFConfig?
            if config.hasConfig {
                do {
                    loaded = try config.load()
                } catch {
                    if cluster.isRoot { printToStandardError("mtaf-mpi plan: \(error)") }
                    throw ExitCode.failure
                }
            }
            let names = loaded?.targets ?? targetNames
            let layout: TargetLayout
            do {
                // With a config, the trainer's own rule (it also refuses e.g. SourceOnly on several ranks).
                layout = try loaded.map { try Trainer.layout(for: $0, worldSize: ranks) }
                    ?? TargetLayout(targets: names.count, ranks: ranks)
            } catch {
                printToStandardError("mtaf-mpi plan: \(error)")
                throw ExitCode.failure
            }
            var text = layout.render(targetNames: names)
            if let loaded {
                text = Self.frameworkLine(loaded, file: config.cfg ?? "") + "\n" + text + "\n"
                    + Self.hostedModules(loaded, layout: layout)
            }
            cluster.log0(text)
            guard ClusterLauncher.launchedByMPI else { return }
            do {
                try checkAgreement(layout: layout, text: text, cluster: cluster)
            } catch {
                printToStandardError("mtaf-mpi plan: rank \(cluster.rank): \(error)")
                throw ExitCode.failure
            }
        }

        /// Under mpirun: the world matches the plan, every rank computed the same plan, and the
        /// group communicators it implies can be built and used.
        private func checkAgreement(layout: TargetLayout, text: String, cluster: any Cluster) throws {
            let world = cluster.world
            guard layout.worldSize == world.size else {
                throw LayoutError.worldSizeMismatch(expected: layout.worldSize, actual: world.size)
            }
            let fingerprint = Int64(bitPattern: FNV1a.hash(text))
            let fingerprints = try world.allgather(fingerprint)
            let disagreeing = fingerprints.enumerated().filter { $0.element != fingerprints[0] }.map(\.offset)
            guard disagreeing.isEmpty else {
                throw ValidationError("ranks \(disagreeing) computed a different plan than rank 0")
            }
            let groups = try TargetGroups(layout: layout, world: world)
            var ok: Int32 = 1
            for (target, communicator) in groups.communicators {
                var members = [Int64(world.rank)]
                try communicator.allreduce(&members, op: .sum)
                if members[0] != Int64(layout.groups[target].reduce(0, +)) { ok = 0 }
            }
            var all = [ok]
            try world.allreduce(&all, op: .min)
            guard all[0] == 1 else { throw ValidationError("a target group communicator does not match the plan") }
            cluster.log0("check: all \(world.size) ranks agree on the plan (fingerprint \(String(UInt64(bitPattern: fingerprint), radix: 16))); "
                + "\(layout.targetCount) group communicator\(layout.targetCount == 1 ? "" : "s") built and checked")
        }
    }
}

extension MTAFMPI.Plan {
    /// "framework: MDis (model DeepLabv2, 2 targets, …)".
    static func frameworkLine(_ config: MTAFConfig, file: String) -> String {
        "framework: \(config.framework.rawValue) (model \(config.train.model), \(config.targetCount) target"
            + "\(config.targetCount == 1 ? "" : "s") from \(file); source mode \(config.dist.sourceMode), "
            + "SGD repetition \(config.sgdRepetition.rawValue))"
    }

    /// What every rank shares and which discriminators each rank hosts, read from the trainer's
    /// own rules: the framework's discriminator roles and `TrainingPlacement` (architecture §3.2);
    /// names are the snapshot stems of spec §5.5 (D_main_<t> = D_main,t). MTKT's teacher heads are
    /// part of the shared segmenter; a rank computes those of its hosted targets (architecture §3.5).
    static func hostedModules(_ config: MTAFConfig, layout: TargetLayout) -> String {
        let framework = config.framework
        let names = config.targets
        let roles = framework.discriminatorRoles(targetCount: config.targetCount)
        let shared = roles.filter { TrainingPlacement.hostingTarget(of: $0) == nil }
        var everyRank = framework.usesMTKTModel ? "segmenter (backbone, student head 0 and every teacher head)" : "segmenter"
        if !shared.isEmpty { everyRank += "; " + describe(shared, targetNames: names) }
        if roles.isEmpty { everyRank += "; no discriminator" }
        var lines = ["hosted modules (docs/architecture.md §3.2):", "  every rank, shared: " + everyRank]
        guard shared.count < roles.count else { return lines.joined(separator: "\n") }
        for rank in 0 ..< layout.worldSize {
            let placement = TrainingPlacement(layout: layout, rank: rank, sourceMode: config.dist.sourceModeValue)
            let hosted = placement.hostedTargets.map { t -> String in
                var parts: [String] = []
                if framework.usesMTKTModel { parts.append("computes teacher head \(t + 1)") }
                let discriminators = roles.filter { TrainingPlacement.hostingTarget(of: $0) == t && placement.hosts($0) }
                if !discriminators.isEmpty { parts.append(describe(discriminators, targetNames: names)) }
                return "\(names[t]): " + parts.joined(separator: ", ")
            }
            lines.append("  rank \(rank): " + (hosted.isEmpty ? "nothing hosted" : hosted.joined(separator: "; ")))
        }
        return lines.joined(separator: "\n")
    }

    /// "D_main_0, D_aux_0 (source vs Cityscapes), D_target, D_target_aux (Cityscapes vs Mapillary)":
    /// consecutive roles that tell the same domains apart share their parenthesis.
    private static func describe(_ roles: [DiscriminatorRole], targetNames: [String]) -> String {
        var groups: [(contest: String, stems: [String])] = []
        for role in roles {
            let contest = role.contest(targetNames: targetNames)
            if groups.last?.contest == contest {
                groups[groups.count - 1].stems.append(role.snapshotSuffix)
            } else {
                groups.append((contest, [role.snapshotSuffix]))
            }
        }
        return groups.map { "\($0.stems.joined(separator: ", ")) (\($0.contest))" }.joined(separator: ", ")
    }
}
