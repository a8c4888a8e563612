// The losses one rank computed in an iteration and how they merge into the printed line
// (spec §5.5: the last computed value, i.e. the last target's; MTKT's source CE sums the
// teachers).

/// A rank's loss values with their origin, merged across ranks by `TrainingSynchronization`.
struct LossRecord {
    /// Value per upstream loss name.
    private(set) var values: [String: Double] = [:]
    /// 0 for a source-pass value, t + 1 for target t's: the highest wins (upstream prints the
    /// last computed value); ties go to the lowest rank.
    private(set) var priorities: [String: Int] = [:]
    /// Names whose values add up across ranks (each contribution counted once).
    private(set) var summed: Set<String> = []

    /// Records `value` for `name`, computed on the source batch (target nil) or target t's.
    mutating func set(_ name: String, _ value: Double, target: Int? = nil) {
        values[name] = value
        priorities[name] = target.map { $0 + 1 } ?? 0
    }

    /// Adds `value` to `name`, a loss summed over contributions (MTKT's teacher CE).
    mutating func add(_ name: String, _ value: Double) {
        values[name, default: 0] += value
        priorities[name] = 0
        summed.insert(name)
    }

    /// Marks `name` as summed across ranks even when this rank contributes nothing.
    mutating func declareSummed(_ name: String) {
        summed.insert(name)
        if values[name] == nil {
            values[name] = 0
            priorities[name] = 0
        }
    }
}
