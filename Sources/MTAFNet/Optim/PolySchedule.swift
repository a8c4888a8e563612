import Foundation

/// The poly learning-rate schedule: lr_i = base · (1 − i/maxIterations)^power, in Double like
/// upstream's Python (the optimizers round it to Float when they apply it).
///
/// Set at the start of iteration i (0-based), before any step of that iteration. Segmenter SGD:
/// group 0 gets `learningRate(at: i)` with base LEARNING_RATE, group 1 ten times that (computed
/// in Double, as upstream's `lr * 10`); every discriminator Adam gets it with base
/// LEARNING_RATE_D. Spec §4.5 (upstream `lr_poly`, `adjust_learning_rate`,
/// `adjust_learning_rate_discriminator`).
public struct PolySchedule: Sendable, Equatable {
    /// The base learning rate.
    public var base: Double
    /// MAX_ITERS (250000 in MTAF; not EARLY_STOP).
    public var maxIterations: Int
    /// POWER (0.9).
    public var power: Double

    public init(base: Double, maxIterations: Int, power: Double = 0.9) {
        precondition(maxIterations > 0, "PolySchedule: maxIterations \(maxIterations) must be > 0")
        self.base = base
        self.maxIterations = maxIterations
        self.power = power
    }

    /// The learning rate of iteration `iteration` (0 … maxIterations).
    public func learningRate(at iteration: Int) -> Double {
        PolySchedule.lrPoly(base: base, iteration: iteration,
                            maxIterations: maxIterations, power: power)
    }

    /// Upstream's `lr_poly(base_lr, iter, max_iter, power)`:
    /// `base_lr * ((1 - float(iter) / max_iter) ** power)`. Spec §4.5.
    public static func lrPoly(base: Double, iteration: Int, maxIterations: Int,
                              power: Double) -> Double {
        precondition(iteration >= 0 && iteration <= maxIterations,
                     "PolySchedule: iteration \(iteration) outside 0...\(maxIterations)")
        return base * pow(1 - Double(iteration) / Double(maxIterations), power)
    }
}
