// Element-wise kernels as types. Each kernel gives its function twice, for one Float and for
// sixteen lanes (`VectorMath.Vector`); `Tensor.apply` and `Tensor.combine` are generic over
// the kernel type, so the compiler specialises one tight SIMD loop per kernel. (Passing
// closures instead left a call per element in the profile of a training step: Swift does not
// reliably specialise a closure through the parallel-chunk and buffer-pointer layers.)

import Foundation

/// f(x) element-wise on sixteen lanes. Every element, tails included, goes through this one
/// form, so results never depend on how the work was split over threads.
public protocol UnaryKernel: Sendable {
    func callAsFunction(_ x: VectorMath.Vector) -> VectorMath.Vector
}

/// f(a, b) element-wise; the scalar and 16-lane forms must agree bit for bit (they are used for
/// the same elements depending on layout).
public protocol BinaryKernel: Sendable {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
    func callAsFunction(_ a: VectorMath.Vector, _ b: VectorMath.Vector) -> VectorMath.Vector
}

/// The kernels behind `Tensor`'s operators and activations.
public enum Kernels {
    public typealias Vector = VectorMath.Vector

    public struct Add: BinaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
        @inlinable public func callAsFunction(_ a: Vector, _ b: Vector) -> Vector { a + b }
    }
    public struct Subtract: BinaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
        @inlinable public func callAsFunction(_ a: Vector, _ b: Vector) -> Vector { a - b }
    }
    public struct Multiply: BinaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b }
        @inlinable public func callAsFunction(_ a: Vector, _ b: Vector) -> Vector { a * b }
    }
    public struct Divide: BinaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b }
        @inlinable public func callAsFunction(_ a: Vector, _ b: Vector) -> Vector { a / b }
    }
    /// max(a, b); NaN in `a` wins, like a compare-and-select.
    public struct Maximum: BinaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ a: Float, _ b: Float) -> Float { a < b ? b : a }
        @inlinable public func callAsFunction(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: a .< b) }
    }

    /// Any scalar function, lane by lane (what `Tensor.map` runs). `@unchecked Sendable`: the
    /// chunks call it concurrently, as `map`'s contract has always allowed.
    public struct Function: UnaryKernel, @unchecked Sendable {
        public let function: (Float) -> Float
        @inlinable public init(_ function: @escaping (Float) -> Float) { self.function = function }
        @inlinable public func callAsFunction(_ x: Vector) -> Vector {
            var result = Vector()
            for lane in 0..<Vector.scalarCount { result[lane] = function(x[lane]) }
            return result
        }
    }
    /// Any scalar function of two operands (what `Tensor.zip` runs).
    public struct PairwiseFunction: BinaryKernel, @unchecked Sendable {
        public let function: (Float, Float) -> Float
        @inlinable public init(_ function: @escaping (Float, Float) -> Float) { self.function = function }
        @inlinable public func callAsFunction(_ a: Float, _ b: Float) -> Float { function(a, b) }
        @inlinable public func callAsFunction(_ a: Vector, _ b: Vector) -> Vector {
            var result = Vector()
            for lane in 0..<Vector.scalarCount { result[lane] = function(a[lane], b[lane]) }
            return result
        }
    }

    /// scale · x + shift.
    public struct AffineMap: UnaryKernel {
        public let scale: Float, shift: Float
        public init(scale: Float, shift: Float) { self.scale = scale; self.shift = shift }
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { scale * x + shift }
    }
    /// x / divisor (a true division, as PyTorch's `x / c`).
    public struct DivideBy: UnaryKernel {
        public let divisor: Float
        public init(divisor: Float) { self.divisor = divisor }
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { x / divisor }
    }
    /// numerator / x.
    public struct Reciprocal: UnaryKernel {
        public let numerator: Float
        public init(numerator: Float) { self.numerator = numerator }
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { Vector(repeating: numerator) / x }
    }
    public struct Square: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { x * x }
    }
    public struct SquareRoot: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { x.squareRoot() }
    }
    public struct ReLU: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { x.replacing(with: 0, where: x .<= 0) }
    }
    public struct Exp: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { VectorMath.exp(x) }
    }
    public struct Sigmoid: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { VectorMath.sigmoid(x) }
    }
    /// x σ(x).
    public struct SiLU: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { x * VectorMath.sigmoid(x) }
    }
    /// GELU with the exact (erf) form, x Φ(x), as `torch.nn.GELU()`.
    public struct GELU: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector { x * VectorMath.normalCDF(x) }
    }
    /// d gelu / dx = Φ(x) + x φ(x), φ the standard normal density.
    public struct GELUDerivative: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector {
            VectorMath.normalCDF(x) + x * (0.3989422804014327 * VectorMath.exp(-0.5 * x * x))
        }
    }
    /// σ(x) (1 + x (1 − σ(x))).
    public struct SiLUDerivative: UnaryKernel {
        public init() {}
        @inlinable public func callAsFunction(_ x: Vector) -> Vector {
            let s = VectorMath.sigmoid(x)
            return s * (1 + x * (1 - s))
        }
    }
}

extension Tensor {
    /// Elements below which an element-wise kernel stays on one thread (a few microseconds of
    /// work; 2^15 before the library's own pool made hand-offs cheap).
    @usableFromInline static let elementwiseGrain = 1 << 13

    /// `kernel(x)` for every element, sixteen at a time.
    @inlinable
    public func apply<Kernel: UnaryKernel>(_ kernel: Kernel) -> Tensor {
        let input = contiguous()
        var result = Tensor(uninitializedShape: shape)
        let count = scalarCount
        input.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                parallelChunks(count, grain: Tensor.elementwiseGrain) { range in
                    VectorMath.apply(range.count, s + range.lowerBound, d + range.lowerBound) { kernel($0) }
                }
            }
        }
        return result
    }

    /// `kernel(a, b)` after broadcasting both operands (NumPy rules); `name` appears in shape errors.
    @inlinable
    public static func combine<Kernel: BinaryKernel>(_ lhs: Tensor, _ rhs: Tensor, _ kernel: Kernel, name: String) -> Tensor {
        if lhs.shape == rhs.shape && lhs.isContiguous && rhs.isContiguous {
            var result = Tensor(uninitializedShape: lhs.shape)
            let count = lhs.scalarCount
            lhs.withUnsafeBufferPointer { a in
                rhs.withUnsafeBufferPointer { b in
                    result.withUnsafeMutableBufferPointer { d in
                        guard let pa = a.baseAddress, let pb = b.baseAddress, let pd = d.baseAddress else { return }
                        parallelChunks(count, grain: Tensor.elementwiseGrain) { range in
                            combineRow(pa + range.lowerBound, 1, pb + range.lowerBound, 1, pd + range.lowerBound,
                                       range.count, kernel)
                        }
                    }
                }
            }
            return result
        }
        guard let outShape = broadcastShape(lhs.shape, rhs.shape) else {
            preconditionFailure("\(name): shapes \(lhs.shape) and \(rhs.shape) do not broadcast")
        }
        let a = lhs.broadcast(to: outShape), b = rhs.broadcast(to: outShape)
        var result = Tensor(uninitializedShape: outShape)
        let sa = a.strides.last ?? 0, sb = b.strides.last ?? 0
        let pa = a.storage.base + a.offset, pb = b.storage.base + b.offset
        result.withUnsafeMutableBufferPointer { d in
            let pd = d.baseAddress!
            withExtendedLifetime((a.storage, b.storage)) {
                StridedIteration.forEachRow(shape: outShape, strides: [a.strides, b.strides]) { bases, length in
                    combineRow(pa + bases[0], sa, pb + bases[1], sb, pd + bases[2], length, kernel)
                }
            }
        }
        return result
    }

    /// One row of `combine`: unit or zero (broadcast) strides take the SIMD path.
    @inlinable
    static func combineRow<Kernel: BinaryKernel>(_ a: UnsafePointer<Float>, _ strideA: Int,
                                                 _ b: UnsafePointer<Float>, _ strideB: Int,
                                                 _ d: UnsafeMutablePointer<Float>, _ count: Int, _ kernel: Kernel) {
        let width = VectorMath.width
        var i = 0
        switch (strideA, strideB) {
        case (1, 1):
            while i + width <= count {
                VectorMath.store(kernel(VectorMath.load(a + i, count: width), VectorMath.load(b + i, count: width)),
                                 to: d + i, count: width)
                i += width
            }
        case (1, 0):
            let vb = VectorMath.Vector(repeating: b[0])
            while i + width <= count {
                VectorMath.store(kernel(VectorMath.load(a + i, count: width), vb), to: d + i, count: width)
                i += width
            }
        case (0, 1):
            let va = VectorMath.Vector(repeating: a[0])
            while i + width <= count {
                VectorMath.store(kernel(va, VectorMath.load(b + i, count: width)), to: d + i, count: width)
                i += width
            }
        default:
            break
        }
        while i < count { d[i] = kernel(a[i * strideA], b[i * strideB]); i += 1 }
    }
}
