// Row gathers (embedding lookup), their adjoint scatter-add, concatenation and splitting.
// Shapes: table [V, D], indices [N] -> rows [N, D].

import Foundation

extension Tensor {
    /// Rows `indices` of a rank-2 `table`: result [indices.count, D].
    public static func gatherRows(_ table: Tensor, indices: [Int32]) -> Tensor {
        precondition(table.rank == 2, "gatherRows: table must be rank 2, got shape \(table.shape)")
        let rows = table.shape[0], width = table.shape[1]
        var result = Tensor(uninitializedShape: [indices.count, width])
        table.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                for (i, index) in indices.enumerated() {
                    precondition(index >= 0 && Int(index) < rows,
                                 "gatherRows: index \(index) at position \(i) out of range 0..<\(rows)")
                    (dst.baseAddress! + i * width).update(from: src.baseAddress! + Int(index) * width, count: width)
                }
            }
        }
        return result
    }

    /// Adjoint of `gatherRows`: a [rowCount, D] tensor where row r is the sum of the `values`
    /// rows whose index is r.
    public static func scatterAddRows(_ values: Tensor, indices: [Int32], rowCount: Int) -> Tensor {
        precondition(values.rank == 2 && values.shape[0] == indices.count,
                     "scatterAddRows: values \(values.shape) do not match \(indices.count) indices")
        let width = values.shape[1]
        for (i, index) in indices.enumerated() where index < 0 || Int(index) >= rowCount {
            preconditionFailure("scatterAddRows: index \(index) at position \(i) out of range 0..<\(rowCount)")
        }
        var result = Tensor.zeros([rowCount, width])
        let source = values.contiguous()
        source.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                let (from, to) = (src.baseAddress!, dst.baseAddress!)
                // Workers take column ranges: every element still receives its rows in index
                // order, so the sums do not depend on the number of workers.
                let grain = indices.count * width >= 1 << 16 ? Swift.max(16, width / ParallelConfiguration.currentWorkerCount) : width
                parallelChunks(width, grain: grain) { columns in
                    for (i, index) in indices.enumerated() {
                        BLAS.axpy(count: Int32(columns.count), alpha: 1, x: from + i * width + columns.lowerBound,
                                  y: to + Int(index) * width + columns.lowerBound)
                    }
                }
            }
        }
        return result
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concatenate(_ parts: [Tensor], axis: Int) -> Tensor {
        precondition(!parts.isEmpty, "concatenate: no tensors")
        let a = parts[0].normalizedAxis(axis)
        // Every part must equal the first outside `axis`. (Fix: the check used to compare
        // against the running output shape, whose `axis` entry grows, so any second part with a
        // non-empty `axis` failed; the rank is now checked before indexing `axis`.)
        var reference = parts[0].shape
        reference[a] = 0
        var outShape = reference
        for part in parts {
            precondition(part.rank == parts[0].rank,
                         "concatenate: shape \(part.shape) does not match \(parts[0].shape) outside axis \(a)")
            var expected = part.shape
            expected[a] = 0
            precondition(expected == reference,
                         "concatenate: shape \(part.shape) does not match \(parts[0].shape) outside axis \(a)")
            outShape[a] += part.shape[a]
        }
        var result = Tensor(uninitializedShape: outShape)
        let outer = outShape[..<a].reduce(1, *), inner = outShape[(a + 1)...].reduce(1, *)
        let outRow = outShape[a] * inner
        result.withUnsafeMutableBufferPointer { dst in
            var position = 0
            for part in parts {
                let chunk = part.shape[a] * inner
                part.withUnsafeBufferPointer { src in
                    for o in 0..<outer where chunk > 0 {
                        (dst.baseAddress! + o * outRow + position).update(from: src.baseAddress! + o * chunk, count: chunk)
                    }
                }
                position += chunk
            }
        }
        return result
    }

    /// Splits along `axis` into pieces of the given sizes (views).
    public func split(sizes: [Int], axis: Int) -> [Tensor] {
        let a = normalizedAxis(axis)
        precondition(sizes.reduce(0, +) == shape[a],
                     "split: sizes \(sizes) do not add up to \(shape[a]) (axis \(a) of shape \(shape))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(axis: a, start..<(start + size))
        }
    }
}

/// Integer tensor for token ids and labels (row-major `Int32`).
public struct IndexTensor: Sendable, Equatable, Hashable {
    public var shape: [Int]
    public var values: [Int32]

    /// - Precondition: `values.count` equals the product of `shape`.
    public init(shape: [Int], values: [Int32]) {
        precondition(values.count == shape.reduce(1, *),
                     "IndexTensor: \(values.count) values for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    public init(_ values: [Int]) { self.init(shape: [values.count], values: values.map { Int32($0) }) }
    public var scalarCount: Int { values.count }
}
