import ArgumentParser
import Foundation
import Distributed

extension MTAFMPI {
    struct Plan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print which rank hosts which target domain; under mpirun, check that every rank agrees.")

        @Option(help: "Comma-separated target domains, in TARGETS order.")
        var targets: String = "Cityscapes,Mapillary"

        @Option(help: "Number of ranks to plan for (default: the MPI world size, or 1 without mpirun).")
        var np: Int?

        func validate() throws {
            if targetNames.isEmpty { throw ValidationError("Please name at least one target domain with --targets.") }
            if let np, np < 1 { throw ValidationError("--np must be at least 1, got \(np).") }
        }

        var targetNames: [String] {
            targets.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        func run() throws {
            let cluster = try ClusterLauncher.fromEnvironment()
            defer { try? cluster.finalize() }
            let ranks = np ?? cluster.size
            let layout: TargetLayout
            do {
                layout = try TargetLayout(targets: targetNames.count, ranks: ranks)
            } catch {
                printToStandardError("mtaf-mpi plan: \(error)")
                throw ExitCode.failure
            }
            let text = layout.render(targetNames: targetNames)
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
            let fingerprint = Int64(bitPattern: fnv1a(text))
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

/// 64-bit FNV-1a of a string's UTF-8 bytes.
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}
