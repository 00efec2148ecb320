// Element-wise math with NumPy broadcasting. Dense inputs of equal shape take a flat,
// vectorisable (and for large tensors, two-core) loop; anything else walks rows of the
// broadcast layouts.

import Foundation

extension Tensor {
    /// The broadcast shape of two shapes (NumPy rules), or nil when they do not broadcast.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let db = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            if da == db || db == 1 { result[i] = da } else if da == 1 { result[i] = db } else { return nil }
        }
        return result
    }

    /// Applies `op` to each element (for one-off functions; the operators and activations use
    /// kernel types, see ElementwiseKernels.swift). `op` may also see padding lanes' zeros.
    @inlinable
    public func map(_ op: (Float) -> Float) -> Tensor {
        withoutActuallyEscaping(op) { op in apply(Kernels.Function(op)) }
    }

    /// Applies `op` pairwise after broadcasting both operands; `name` appears in shape errors.
    @inlinable
    public static func zip(_ lhs: Tensor, _ rhs: Tensor, name: String = "binary op",
                           _ op: (Float, Float) -> Float) -> Tensor {
        withoutActuallyEscaping(op) { op in combine(lhs, rhs, Kernels.PairwiseFunction(op), name: name) }
    }

    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor { combine(lhs, rhs, Kernels.Add(), name: "add") }
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor { combine(lhs, rhs, Kernels.Subtract(), name: "subtract") }
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor { combine(lhs, rhs, Kernels.Multiply(), name: "multiply") }
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor { combine(lhs, rhs, Kernels.Divide(), name: "divide") }
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { lhs.apply(Kernels.AffineMap(scale: 1, shift: rhs)) }
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs.apply(Kernels.AffineMap(scale: 1, shift: -rhs)) }
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { lhs.apply(Kernels.AffineMap(scale: rhs, shift: 0)) }
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs.apply(Kernels.DivideBy(divisor: rhs)) }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs.apply(Kernels.AffineMap(scale: lhs, shift: 0)) }
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs.apply(Kernels.AffineMap(scale: 1, shift: lhs)) }
    public static func - (lhs: Float, rhs: Tensor) -> Tensor { rhs.apply(Kernels.AffineMap(scale: -1, shift: lhs)) }
    public static func / (lhs: Float, rhs: Tensor) -> Tensor { rhs.apply(Kernels.Reciprocal(numerator: lhs)) }
    public static prefix func - (operand: Tensor) -> Tensor { operand.apply(Kernels.AffineMap(scale: -1, shift: 0)) }

    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs.addScaled(rhs, scale: 1) }

    /// `self += scale * other` in place (same shape), on the workers for large tensors
    /// (gradients of a tensor used several times are summed this way).
    public mutating func addScaled(_ other: Tensor, scale: Float) {
        precondition(shape == other.shape, "addScaled: shapes \(shape) and \(other.shape) differ")
        other.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                guard let source = src.baseAddress, let target = dst.baseAddress else { return }
                parallelChunks(dst.count, grain: Tensor.elementwiseGrain) { range in
                    VectorMath.forEachVector(in: range) { i, lanes in
                        let sum = VectorMath.load(target + i, count: lanes) + scale * VectorMath.load(source + i, count: lanes)
                        VectorMath.store(sum, to: target + i, count: lanes)
                    }
                }
            }
        }
    }

    /// Element-wise maximum.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor { combine(a, b, Kernels.Maximum(), name: "maximum") }

    public func exp() -> Tensor { apply(Kernels.Exp()) }
    public func log() -> Tensor { map { Foundation.log($0) } }
    public func sqrt() -> Tensor { apply(Kernels.SquareRoot()) }
    public func squared() -> Tensor { apply(Kernels.Square()) }
    public func abs() -> Tensor { map { Swift.abs($0) } }
    public func tanh() -> Tensor { map { Foundation.tanh($0) } }
    public func pow(_ exponent: Float) -> Tensor { map { Foundation.pow($0, exponent) } }
    public func clamped(min low: Float, max high: Float) -> Tensor { map { Swift.min(Swift.max($0, low), high) } }
    public func relu() -> Tensor { apply(Kernels.ReLU()) }
    public func sigmoid() -> Tensor { apply(Kernels.Sigmoid()) }
    public func silu() -> Tensor { apply(Kernels.SiLU()) }
    /// d silu / dx at each element.
    public func siluDerivative() -> Tensor { apply(Kernels.SiLUDerivative()) }
    /// GELU with the exact erf form, as `torch.nn.GELU()` (LLaVA's `mlp2x_gelu` uses it).
    public func gelu() -> Tensor { apply(Kernels.GELU()) }
    /// d gelu / dx at each element.
    public func geluDerivative() -> Tensor { apply(Kernels.GELUDerivative()) }

    /// True when every element is finite (no NaN, no ±Inf).
    public var isFinite: Bool { withUnsafeBufferPointer { $0.allSatisfy { $0.isFinite } } }
}

/// Scalar activation functions and their derivatives, shared by forward and backward kernels.
public enum Activation {
    @inlinable public static func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }
    /// d silu / dx = σ(x) (1 + x (1 − σ(x))).
    @inlinable public static func siluDerivative(_ x: Float) -> Float {
        let s = sigmoid(x)
        return s * (1 + x * (1 - s))
    }
}
