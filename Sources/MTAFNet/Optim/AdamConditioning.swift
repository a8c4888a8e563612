// Which Adam-stepped elements a comparison cannot hold to float32 rounding (spec §4.6, "Comparing
// Adam-stepped weights"): the one definition behind the fixtures' allowance
// (`TrainingFixtureRunner.allowances`) and `mtaf-mpi compare-snapshots --adam-allowance`.

import Foundation

/// An element is Adam-ill-conditioned when its gradient at its first step is non-zero and within
/// `gradientBound`·eps of zero (one whose gradient is exactly zero does not move): Adam then moves it by lr·g/(|g| + eps), whose derivative
/// lr·eps/(|g| + eps)² turns float32 rounding of g into parameter errors thousands of times larger.
/// Two observations of that one criterion, for the two kinds of evidence at hand. Spec §4.6.
public enum AdamConditioning {
    /// |g| < 19·eps: the first step is then below 19/20 = 95 % of its full size lr.
    public static let gradientBound = 19.0

    /// From the weights before and after the first iteration (the fixtures): the element moved,
    /// but by less than 95 % of `steps` full steps (`steps`: Adam steps per iteration,
    /// `TrainingFrameworkKind.discriminatorStepsPerIteration`).
    public static func isIllConditioned(firstStep: Float, learningRate: Float, steps: Float) -> Bool {
        let fullStepFraction = Float(gradientBound / (gradientBound + 1))
        return firstStep > 0 && firstStep < fullStepFraction * steps * learningRate
    }

    /// From the Adam state after `steps` steps (snapshots): the bias-corrected second moment
    /// √(v/(1 − β2^t)), which is |g| after the first step, is non-zero and below 19·eps (MTAF's
    /// β2, eps).
    public static func isIllConditioned(secondMoment v: Float, steps: Int64) -> Bool {
        guard steps > 0, v > 0 else { return false }
        let correction = 1 - pow(Adam.mtafBeta2, Double(steps))
        return (Double(v) / correction).squareRoot() < gradientBound * Adam.mtafEps
    }
}
