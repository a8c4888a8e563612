import ArgumentParser
import Distributed
import MTAFNet

extension MTAFMPI {
    struct ShowConfig: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "config",
            abstract: "Print the effective configuration (file, overrides and derived defaults) as YAML.")

        @OptionGroup var config: ConfigOptions

        func validate() throws {
            if !config.hasConfig { throw ValidationError("Please give a configuration file with --cfg FILE.") }
        }

        func run() throws {
            StandardOutput.write(try config.load().yamlText)
        }
    }
}
