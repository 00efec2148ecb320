// Reductions along one axis, viewed as [outer, axis, inner] over dense memory.

extension Tensor {
    /// Dense view of `self` as (outer, length of `axis`, inner).
    @usableFromInline
    func axisFactors(_ axis: Int) -> (outer: Int, length: Int, inner: Int) {
        let a = normalizedAxis(axis)
        return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
    }

    @usableFromInline
    func reduce(axis: Int, keepDims: Bool, initial: Float, _ combine: (Float, Float) -> Float) -> Tensor {
        let a = normalizedAxis(axis)
        let (outer, length, inner) = axisFactors(a)
        var outShape = shape
        outShape[a] = 1
        var result = Tensor(repeating: initial, shape: outShape)
        withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                let s = src.baseAddress!, d = dst.baseAddress!
                parallelChunks(outer, grain: Swift.max(1, (1 << 15) / Swift.max(1, length * inner))) { range in
                    for o in range {
                        for l in 0..<length {
                            let row = s + (o * length + l) * inner
                            let out = d + o * inner
                            for i in 0..<inner { out[i] = combine(out[i], row[i]) }
                        }
                    }
                }
            }
        }
        if !keepDims { outShape.remove(at: a) }
        return result.reshaped(outShape)
    }

    /// Sum along `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor { reduce(axis: axis, keepDims: keepDims, initial: 0, +) }
    /// Mean along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        sum(axis: axis, keepDims: keepDims) * (1 / Float(shape[normalizedAxis(axis)]))
    }
    /// Maximum along `axis`.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        reduce(axis: axis, keepDims: keepDims, initial: -.infinity) { Swift.max($0, $1) }
    }

    /// Sum of all elements (accumulated in Double).
    public func sum() -> Float {
        withUnsafeBufferPointer { values in
            var total = 0.0
            for v in values { total += Double(v) }
            return Float(total)
        }
    }
    /// Mean of all elements.
    public func mean() -> Float { sum() / Float(Swift.max(1, scalarCount)) }
    /// Largest element.
    public func max() -> Float { withUnsafeBufferPointer { $0.max() ?? -.infinity } }
    /// Sum of squares (accumulated in Double).
    public func squaredNorm() -> Double {
        withUnsafeBufferPointer { values in values.reduce(0.0) { $0 + Double($1) * Double($1) } }
    }

    /// Index of the largest element along the last axis; shape loses that axis.
    public func argmaxLastAxis() -> [Int] {
        let length = shape.last ?? 1
        let rows = scalarCount / Swift.max(1, length)
        return withUnsafeBufferPointer { values in
            (0..<rows).map { row in
                var best = 0
                var bestValue = -Float.infinity
                for j in 0..<length where values[row * length + j] > bestValue {
                    bestValue = values[row * length + j]
                    best = j
                }
                return best
            }
        }
    }

    /// Sums over broadcast dimensions so the result has `target` shape: the adjoint of
    /// `broadcast(to:)`, used by every backward rule of a broadcasting op.
    public func reduced(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        var result = self
        let lead = rank - target.count
        precondition(lead >= 0, "reduced(toShape:): \(shape) has fewer axes than \(target)")
        for _ in 0..<lead { result = result.sum(axis: 0) }
        for axis in 0..<target.count where target[axis] == 1 && result.shape[axis] != 1 {
            result = result.sum(axis: axis, keepDims: true)
        }
        precondition(result.shape == target, "reduced(toShape:): \(shape) does not reduce to \(target)")
        return result
    }
}
