// Tensor: an n-dimensional Float32 array with value semantics.
//
// Layout: `shape`, `strides` (in elements) and `offset` into a shared `TensorStorage`.
// Views (reshape of a contiguous tensor, permute, transpose, slice, broadcast) share
// storage; kernels that need dense memory call `contiguous()`, which copies only when the
// layout is not already row-major dense. Writes go through `makeUnique()` (copy-on-write).

/// Errors for shape problems a caller can cause (data of the wrong size, bad axes).
public struct TensorError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// An n-dimensional array of Float32 values.
public struct Tensor: Sendable {
    /// Extent of each dimension; `[]` for a scalar.
    public private(set) var shape: [Int]
    /// Element step of each dimension; 0 for a broadcast dimension.
    public private(set) var strides: [Int]
    /// Index of element `[0, 0, ...]` in `storage`.
    public private(set) var offset: Int
    /// The shared buffer.
    public private(set) var storage: TensorStorage

    // MARK: Construction

    /// Row-major strides for `shape`.
    @inlinable
    public static func denseStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var step = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = step
            step *= shape[axis]
        }
        return strides
    }

    /// A dense tensor whose elements the caller must all write before reading
    /// (used by kernels that fill their output).
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.shape = shape
        self.strides = Tensor.denseStrides(shape)
        self.offset = 0
        self.storage = TensorStorage(uninitializedCount: shape.reduce(1, *))
    }

    /// A view onto existing storage.
    public init(storage: TensorStorage, shape: [Int], strides: [Int], offset: Int) {
        precondition(shape.count == strides.count, "Tensor: shape \(shape) and strides \(strides) differ in rank")
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.storage = storage
    }

    /// A dense tensor holding `scalars` in row-major order.
    /// - Precondition: `scalars.count` equals the product of `shape`.
    public init(shape: [Int], scalars: [Float]) {
        self.init(uninitializedShape: shape)
        precondition(scalars.count == storage.count,
                     "Tensor(shape: \(shape), scalars:): \(scalars.count) values for \(storage.count) elements")
        scalars.withUnsafeBufferPointer { source in
            if let src = source.baseAddress { storage.base.update(from: src, count: source.count) }
        }
    }

    /// Like `init(shape:scalars:)` but throws when the counts differ (for data a user supplies).
    public init(validatingShape shape: [Int], scalars: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }) else { throw TensorError("negative dimension in shape \(shape)") }
        let count = shape.reduce(1, *)
        guard count == scalars.count else {
            throw TensorError("\(scalars.count) values do not fill shape \(shape) (\(count) elements)")
        }
        self.init(shape: shape, scalars: scalars)
    }

    /// A dense tensor with every element equal to `value`.
    public init(repeating value: Float, shape: [Int]) {
        self.init(uninitializedShape: shape)
        storage.base.initialize(repeating: value, count: storage.count)
    }

    /// Zeros of the given shape.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }
    /// Ones of the given shape.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }
    /// A rank-0 tensor.
    public init(_ scalar: Float) { self.init(shape: [], scalars: [scalar]) }

    /// `0, 1, ..., count-1` as Float.
    public static func arange(_ count: Int) -> Tensor {
        Tensor(shape: [count], scalars: (0..<count).map(Float.init))
    }

    // MARK: Properties

    /// Number of dimensions.
    @inlinable public var rank: Int { shape.count }
    /// Number of elements.
    @inlinable public var scalarCount: Int { shape.reduce(1, *) }

    /// True when the elements are dense and row-major from `offset`.
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// The elements in row-major order.
    public var scalars: [Float] {
        let dense = contiguous()
        return Array(UnsafeBufferPointer(start: dense.storage.base + dense.offset, count: dense.scalarCount))
    }

    /// The single element of a one-element tensor.
    public var scalar: Float {
        precondition(scalarCount == 1, "Tensor.scalar: shape \(shape) has \(scalarCount) elements")
        return storage.base[offset]
    }

    /// The element at a full index.
    public subscript(index: Int...) -> Float {
        get {
            precondition(index.count == rank, "Tensor subscript: \(index.count) indices for shape \(shape)")
            var position = offset
            for axis in 0..<rank {
                precondition(index[axis] >= 0 && index[axis] < shape[axis],
                             "Tensor subscript: index \(index) out of range for shape \(shape)")
                position += index[axis] * strides[axis]
            }
            return storage.base[position]
        }
        set {
            precondition(index.count == rank, "Tensor subscript: \(index.count) indices for shape \(shape)")
            makeUnique()
            var position = offset
            for axis in 0..<rank {
                precondition(index[axis] >= 0 && index[axis] < shape[axis],
                             "Tensor subscript: index \(index) out of range for shape \(shape)")
                position += index[axis] * strides[axis]
            }
            storage.base[position] = newValue
        }
    }

    // MARK: Raw access

    /// Calls `body` with the elements in row-major order (copying first if the layout is not dense).
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let dense = contiguous()
        return try withExtendedLifetime(dense.storage) {
            try body(UnsafeBufferPointer(start: dense.storage.base + dense.offset, count: dense.scalarCount))
        }
    }

    /// Calls `body` with writable row-major elements; the tensor first becomes dense and
    /// uniquely owned, so other tensors sharing the old storage are not affected.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        makeUnique()
        return try withExtendedLifetime(storage) {
            try body(UnsafeMutableBufferPointer(start: storage.base + offset, count: scalarCount))
        }
    }

    /// Makes this tensor the only owner of dense storage (copy-on-write).
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) || !isContiguous || storage.count != scalarCount {
            self = copied()
        }
    }

    /// A dense copy with its own storage.
    public func copied() -> Tensor {
        var result = Tensor(uninitializedShape: shape)
        copyElements(into: &result)
        return result
    }

    /// A row-major dense tensor with these elements: `self` when already dense.
    @inlinable
    public func contiguous() -> Tensor { isContiguous ? self : copied() }

    /// Writes this tensor's elements, in row-major order, into the dense `destination`.
    func copyElements(into destination: inout Tensor) {
        let count = scalarCount
        let out = destination.storage.base + destination.offset
        if count == 0 { return }
        if isContiguous {
            out.update(from: storage.base + offset, count: count)
            return
        }
        // Permuted copies (attention heads split and merged) are large: rows go to the workers.
        let (rowCount, length) = lastAxisRows                  // count > 0, so length > 0
        parallelChunks(rowCount, grain: Swift.max(1, Tensor.elementwiseGrain / length)) { rows in
            StridedIteration.forEachRow(shape: shape, strides: [strides], rows: rows) { bases, rowLength in
                let src = storage.base + offset + bases[0]
                let innerStride = strides.last ?? 1
                let rowIndex = bases[1]
                let dst = out + rowIndex
                if innerStride == 1 {
                    dst.update(from: src, count: rowLength)
                } else {
                    for i in 0..<rowLength { dst[i] = src[i * innerStride] }
                }
            }
        }
    }
}

// MARK: - Views

extension Tensor {
    /// Same elements, new shape (a view when dense, a copy otherwise). One dimension may be -1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var resolved = newShape
        let known = newShape.filter { $0 != -1 }.reduce(1, *)
        if let inferred = newShape.firstIndex(of: -1) {
            precondition(newShape.filter { $0 == -1 }.count == 1 && known > 0 && scalarCount % known == 0,
                         "reshape: cannot infer -1 in \(newShape) from shape \(shape)")
            resolved[inferred] = scalarCount / known
        }
        precondition(resolved.reduce(1, *) == scalarCount,
                     "reshape: shape \(shape) (\(scalarCount) elements) cannot become \(newShape)")
        let dense = contiguous()
        return Tensor(storage: dense.storage, shape: resolved, strides: Tensor.denseStrides(resolved),
                      offset: dense.offset)
    }

    /// Reorders dimensions: result dimension `i` is input dimension `order[i]` (a view).
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.count == rank && Set(order) == Set(0..<rank),
                     "permute: order \(order) is not a permutation of the \(rank) axes of shape \(shape)")
        return Tensor(storage: storage, shape: order.map { shape[$0] }, strides: order.map { strides[$0] },
                      offset: offset)
    }

    /// Swaps two dimensions (default: the last two) as a view.
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        let a = normalizedAxis(first), b = normalizedAxis(second)
        var order = Array(0..<rank)
        order.swapAt(a, b)
        return permuted(order)
    }

    /// Elements `range` along `axis` (a view).
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[a],
                     "slice: range \(range) out of bounds for axis \(a) of shape \(shape)")
        var newShape = shape
        newShape[a] = range.count
        return Tensor(storage: storage, shape: newShape, strides: strides,
                      offset: offset + range.lowerBound * strides[a])
    }

    /// Broadcasts to `target` (NumPy rules) as a view with zero strides.
    public func broadcast(to target: [Int]) -> Tensor {
        precondition(target.count >= rank, "broadcast: shape \(shape) cannot broadcast to \(target)")
        let lead = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for axis in 0..<rank {
            let size = shape[axis]
            if size == target[lead + axis] {
                newStrides[lead + axis] = size == 1 ? 0 : strides[axis]
            } else {
                precondition(size == 1, "broadcast: shape \(shape) cannot broadcast to \(target)")
            }
        }
        return Tensor(storage: storage, shape: target, strides: newStrides, offset: offset)
    }

    /// Inserts a dimension of size 1 at `axis`.
    public func unsqueezed(_ axis: Int) -> Tensor {
        let a = axis < 0 ? axis + rank + 1 : axis
        precondition(a >= 0 && a <= rank, "unsqueeze: axis \(axis) invalid for shape \(shape)")
        var newShape = shape, newStrides = strides
        newShape.insert(1, at: a)
        newStrides.insert(a < rank ? strides[a] * shape[a] : 1, at: a)
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
    }

    /// Removes a dimension of size 1.
    public func squeezed(_ axis: Int) -> Tensor {
        let a = normalizedAxis(axis)
        precondition(shape[a] == 1, "squeeze: axis \(a) of shape \(shape) is not 1")
        var newShape = shape, newStrides = strides
        newShape.remove(at: a)
        newStrides.remove(at: a)
        return Tensor(storage: storage, shape: newShape, strides: newStrides, offset: offset)
    }

    /// Maps a possibly negative axis to `0..<rank`.
    public func normalizedAxis(_ axis: Int) -> Int {
        let a = axis < 0 ? axis + rank : axis
        precondition(a >= 0 && a < rank, "axis \(axis) out of range for shape \(shape)")
        return a
    }
}

extension Tensor: Equatable {
    /// Equal shapes and elements.
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.shape == rhs.shape && lhs.scalars == rhs.scalars
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let values = scalars
        let shown = values.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(values.count > 8 ? ", ..." : "")])"
    }
}

/// Walks the rows (last dimension) of one or more strided layouts that share a shape.
@usableFromInline
enum StridedIteration {
    /// Calls `body(bases, rowLength)` once per row; `bases[i]` is the element offset of the row
    /// in layout `i`, and `bases[layouts.count]` the row's offset in a dense output.
    static func forEachRow(shape: [Int], strides layouts: [[Int]], _ body: ([Int]) -> Void) {
        forEachRow(shape: shape, strides: layouts) { bases, _ in body(bases) }
    }

    /// The same walk over the rows in `range` only (row-major row numbers), so that disjoint
    /// ranges can run on different workers.
    @usableFromInline
    static func forEachRow(shape: [Int], strides layouts: [[Int]], rows range: Range<Int>? = nil,
                           _ body: ([Int], Int) -> Void) {
        let rank = shape.count
        if rank == 0 {
            if range.map({ $0.contains(0) }) ?? true { body([Int](repeating: 0, count: layouts.count + 1), 1) }
            return
        }
        if shape.contains(0) { return }
        let rowLength = shape[rank - 1]
        let outer = rank - 1
        var counter = [Int](repeating: 0, count: outer)
        var bases = [Int](repeating: 0, count: layouts.count + 1)
        let rows = range ?? 0..<shape[0..<outer].reduce(1, *)
        // Start the odometer at the range's first row.
        var remaining = rows.lowerBound
        for axis in stride(from: outer - 1, through: 0, by: -1) {
            counter[axis] = remaining % shape[axis]
            remaining /= shape[axis]
            for l in 0..<layouts.count { bases[l] += counter[axis] * layouts[l][axis] }
        }
        for row in rows {
            bases[layouts.count] = row * rowLength
            body(bases, rowLength)
            // Advance the odometer over the outer dimensions.
            var axis = outer - 1
            while axis >= 0 {
                counter[axis] += 1
                for l in 0..<layouts.count { bases[l] += layouts[l][axis] }
                if counter[axis] < shape[axis] { break }
                for l in 0..<layouts.count { bases[l] -= layouts[l][axis] * shape[axis] }
                counter[axis] = 0
                axis -= 1
            }
        }
    }
}
