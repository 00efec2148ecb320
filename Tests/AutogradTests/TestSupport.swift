// Shared helpers for the Autograd tests: seeded inputs, a scalar "probe" loss, and the
// finite-difference expectation every gradient test uses.
import Testing
import Autograd
import Tensors

/// A tensor of uniform draws in [low, high) from a fixed seed.
func seededTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, using: &generator)
}

/// Σ y ⊙ c for a fixed random constant c of y's shape: a scalar whose gradient with respect to y
/// is c. A plain sum would hide errors in ops whose rows sum to a constant (softmax, layer norm).
func probe(_ y: Variable, seed: UInt64 = 991) -> Variable {
    (y * Variable(seededTensor(y.shape, seed: seed, low: -1, high: 1))).sum()
}

/// Checks the analytic gradients of the scalar `f` at `inputs` against central differences
/// (Float arithmetic: epsilon 3e-3 ... 1e-2, tolerance 1e-2 relative to max(1, |numeric|)).
func expectGradientsMatch(_ inputs: [Tensor], epsilon: Float = 3e-3, tolerance: Float = 1e-2,
                          sourceLocation: SourceLocation = #_sourceLocation,
                          _ f: ([Variable]) -> Variable) {
    let report = GradientCheck.check(inputs, epsilon: epsilon, f)
    #expect(report.maxError < tolerance, "\(report)", sourceLocation: sourceLocation)
}

/// Largest |a − b| / (1 + |b|) (infinity for different lengths or NaN).
func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    guard a.count == b.count else { return .infinity }
    var worst: Float = 0
    for (x, y) in zip(a, b) {
        let difference = Swift.abs(x - y) / (1 + Swift.abs(y))
        if difference.isNaN { return .infinity }
        worst = Swift.max(worst, difference)
    }
    return worst
}

/// Expects equal shapes and elements within `tolerance`.
func expectClose(_ actual: Tensor?, _ expected: Tensor, tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual else {
        Issue.record("missing tensor, expected shape \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
    let difference = maxRelativeDifference(actual.scalars, expected.scalars)
    #expect(difference <= tolerance, "max difference \(difference)", sourceLocation: sourceLocation)
}
