// Finite-difference gradient checking, used by the tests of every differentiable op and
// available to researchers who add their own.

import Tensors

/// Compares analytic gradients with central differences.
public enum GradientCheck {
    /// The largest error found, as |analytic − numeric| / max(1, |numeric|).
    public struct Report: Sendable, CustomStringConvertible {
        public let maxError: Float
        public let worstInput: Int
        public let worstIndex: Int
        public var description: String { "max error \(maxError) at input \(worstInput), element \(worstIndex)" }
    }

    /// Checks d f / d inputs for a scalar function `f` at `inputs`, perturbing each element by
    /// ±epsilon (computed in Float, so use epsilon around 1e-2 ... 1e-3 and a tolerance of ~1e-2).
    public static func check(_ inputs: [Tensor], epsilon: Float = 1e-2,
                             _ f: ([Variable]) -> Variable) -> Report {
        let variables = inputs.map { Variable($0, requiresGrad: true) }
        let output = f(variables)
        precondition(output.value.scalarCount == 1, "GradientCheck: f must return a scalar, got \(output.shape)")
        output.backward()
        var worst = Report(maxError: 0, worstInput: -1, worstIndex: -1)
        for (i, input) in inputs.enumerated() {
            let analytic = variables[i].grad?.scalars ?? [Float](repeating: 0, count: input.scalarCount)
            var values = input.scalars
            for j in 0..<values.count {
                let saved = values[j]
                values[j] = saved + epsilon
                let plus = evaluate(f, inputs, replacing: i, with: Tensor(shape: input.shape, scalars: values))
                values[j] = saved - epsilon
                let minus = evaluate(f, inputs, replacing: i, with: Tensor(shape: input.shape, scalars: values))
                values[j] = saved
                let numeric = Float((plus - minus) / (2 * Double(epsilon)))
                let error = Swift.abs(analytic[j] - numeric) / Swift.max(1, Swift.abs(numeric))
                if error > worst.maxError || worst.worstInput < 0 {
                    if error >= worst.maxError { worst = Report(maxError: error, worstInput: i, worstIndex: j) }
                }
            }
        }
        return worst
    }

    private static func evaluate(_ f: ([Variable]) -> Variable, _ inputs: [Tensor], replacing index: Int,
                                 with replacement: Tensor) -> Double {
        withoutGradients {
            var current = inputs
            current[index] = replacement
            return Double(f(current.map { Variable($0) }).value.scalar)
        }
    }
}
