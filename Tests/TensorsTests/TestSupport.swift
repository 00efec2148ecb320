// Shared helpers for the Tensors tests: seeded inputs, element access by an index array, and
// closeness checks. The naive reference loops of each kernel live next to its tests.
import Testing
import Tensors

/// A tensor of uniform draws in [low, high) from a fixed seed.
func seededTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var generator = RandomGenerator(seed: seed)
    return Tensor.randomUniform(shape, low: low, high: high, using: &generator)
}

/// The element of `tensor` at a full index, read through its strides (works for any view).
func element(_ tensor: Tensor, _ index: [Int]) -> Float {
    precondition(index.count == tensor.rank, "element: \(index) for shape \(tensor.shape)")
    var position = tensor.offset
    for axis in 0..<tensor.rank { position += index[axis] * tensor.strides[axis] }
    return tensor.storage.base[position]
}

/// Every full index of `shape` in row-major order.
func allIndices(_ shape: [Int]) -> [[Int]] {
    let count = shape.reduce(1, *)
    return (0..<count).map { flat in
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }
}

/// Largest |a − b| / (1 + |b|) over two equally long arrays (infinity when the lengths differ).
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

/// Expects equal shapes and elements within `tolerance` (|a − b| ≤ tolerance · (1 + |b|)).
func expectClose(_ actual: Tensor, _ expected: Tensor, tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, sourceLocation: sourceLocation)
    let difference = maxRelativeDifference(actual.scalars, expected.scalars)
    #expect(difference <= tolerance, "max difference \(difference)", sourceLocation: sourceLocation)
}

/// Expects `actual` to hold `expected` (row-major) within `tolerance`.
func expectClose(_ actual: Tensor, shape: [Int], _ expected: [Float], tolerance: Float = 1e-5,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    expectClose(actual, Tensor(shape: shape, scalars: expected), tolerance: tolerance, sourceLocation: sourceLocation)
}

/// Σ a ⊙ b in Double (the inner product used by adjoint identities).
func innerProduct(_ a: Tensor, _ b: Tensor) -> Double {
    precondition(a.shape == b.shape, "innerProduct: \(a.shape) vs \(b.shape)")
    return zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}
