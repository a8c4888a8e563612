import ArgumentParser
import MTAFNet

/// The options of every command that reads a configuration (spec §6): the file, `--set`
/// overrides and the experiment-name suffix.
struct ConfigOptions: ParsableArguments {
    @Option(help: "The YAML configuration file (MTAF's keys, spec §6), resolved against the working directory.")
    var cfg: String?

    @Option(name: .customLong("set"),
            help: ArgumentHelp("Override a key after the file, as KEY.PATH=VALUE with a YAML value (repeatable).",
                               valueName: "key.path=value"))
    var overrides: [String] = []

    @Option(help: "A suffix appended to EXP_NAME as _SUFFIX.")
    var expSuffix: String?

    /// Whether a configuration file was given.
    var hasConfig: Bool { cfg != nil }

    func validate() throws {
        if cfg == nil && (!overrides.isEmpty || expSuffix != nil) {
            throw ValidationError("--set and --exp-suffix apply to a configuration: give it with --cfg FILE.")
        }
    }

    /// Loads the file, applies the overrides and the suffix, and validates (spec §6, §10).
    ///
    /// - Throws: `ValidationError` without `--cfg`; `ConfigError` for a bad file or override.
    func load() throws -> MTAFConfig {
        guard let cfg else { throw ValidationError("Please give a configuration file with --cfg FILE.") }
        return try MTAFConfig.load(file: cfg, overrides: overrides, expSuffix: expSuffix)
    }
}
