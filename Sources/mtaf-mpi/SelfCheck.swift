import ArgumentParser
import CollectiveChecks
import Distributed

extension MTAFMPI {
    struct SelfCheck: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "selfcheck",
            abstract: "Check every MPI collective against values each rank computes itself (run under mpirun).")

        @Option(help: "Size of the large allreduce in megabytes of Float.")
        var largeMb: Int = 300

        func validate() throws {
            if largeMb < 0 { throw ValidationError("--large-mb must not be negative.") }
        }

        func run() throws {
            let runtime = try MPIRuntime.initialize(checked: true)
            let world = runtime.world
            if world.rank == 0 {
                StandardOutput.line("selfcheck on \(world.size) rank\(world.size == 1 ? "" : "s"), thread level \(runtime.grantedThreadLevel) granted")
            }
            var suite = CollectiveSelfCheck(world: world)
            suite.largeCount = largeMb * 250_000
            let outcomes: [CollectiveSelfCheck.Outcome]
            do {
                outcomes = try suite.run(log: { line in if world.rank == 0 { StandardOutput.line(line) } })
            } catch {
                runtime.abort(code: 3, message: "the self-check could not agree on its results: \(error)")
            }
            let passed = outcomes.filter(\.passed).count
            if world.rank == 0 { StandardOutput.line("selfcheck: \(passed) passed, \(outcomes.count - passed) failed") }
            try runtime.finalize()
            if passed != outcomes.count { throw ExitCode.failure }
        }
    }
}
