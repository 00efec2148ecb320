// Matrix products through BLAS sgemm.
// Shapes: a [..., M, K] @ b [..., K, N] -> [..., M, N]; batch dimensions broadcast.
// A transposed view (last two strides swapped) is passed to sgemm as a transpose flag
// instead of being copied.

extension Tensor {
    /// How a rank-2 slice can reach sgemm without a copy: (data, transposed, leading dimension).
    @usableFromInline
    func gemmOperand() -> (tensor: Tensor, transposed: Bool, leading: Int) {
        let r = rank
        let rows = shape[r - 2], cols = shape[r - 1]
        let rowStride = strides[r - 2], colStride = strides[r - 1]
        if colStride == 1 && (rowStride >= cols || rows == 1) { return (self, false, Swift.max(rowStride, cols, 1)) }
        if rowStride == 1 && (colStride >= rows || cols == 1) { return (self, true, Swift.max(colStride, rows, 1)) }
        let dense = contiguous()
        return (dense, false, Swift.max(cols, 1))
    }

    /// Matrix product with NumPy `matmul` semantics for rank >= 2 (batch dims broadcast).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition(a.rank >= 2 && b.rank >= 2,
                     "matmul: operands need rank >= 2, got shapes \(a.shape) and \(b.shape)")
        let left = transposeA ? a.transposed() : a
        let right = transposeB ? b.transposed() : b
        let m = left.shape[left.rank - 2], k = left.shape[left.rank - 1]
        let k2 = right.shape[right.rank - 2], n = right.shape[right.rank - 1]
        precondition(k == k2, "matmul: inner dimensions differ: \(left.shape) @ \(right.shape)")
        let batchA = Array(left.shape.dropLast(2)), batchB = Array(right.shape.dropLast(2))
        guard let batch = broadcastShape(batchA, batchB) else {
            preconditionFailure("matmul: batch dimensions of \(left.shape) and \(right.shape) do not broadcast")
        }
        let batchCount = batch.reduce(1, *)
        var result = Tensor(uninitializedShape: batch + [m, n])
        if batchCount == 0 || m == 0 || n == 0 { return result }
        if k == 0 { return Tensor.zeros(batch + [m, n]) }

        // Fold the batch of A into its rows when B is shared and A's rows are dense: one big GEMM.
        if batchB.reduce(1, *) == 1 && left.isContiguous && !batchA.isEmpty {
            let bOperand = right.reshaped([k, n]).gemmOperand()
            left.withUnsafeBufferPointer { pa in
                result.withUnsafeMutableBufferPointer { pc in
                    withExtendedLifetime(bOperand.tensor.storage) {
                        let pb = bOperand.tensor.storage.base + bOperand.tensor.offset
                        BLAS.parallelGemm(transposeA: false, transposeB: bOperand.transposed, m: batchCount * m, n: n, k: k,
                                  a: pa.baseAddress!, lda: k, b: pb, ldb: bOperand.leading,
                                  c: pc.baseAddress!, ldc: n)
                    }
                }
            }
            return result
        }

        let aB = left.broadcast(to: batch + [m, k]), bB = right.broadcast(to: batch + [k, n])
        let aOp = aB.gemmOperand(), bOp = bB.gemmOperand()
        let aBatchStrides = Array(aOp.tensor.strides.dropLast(2)), bBatchStrides = Array(bOp.tensor.strides.dropLast(2))
        // Small products run side by side on the workers; a large one is split inside itself.
        let itemWork = m * n * k
        let itemsPerChunk = Swift.max(1, BLAS.parallelThreshold / Swift.max(itemWork, 1))
        result.withUnsafeMutableBufferPointer { pc in
            withExtendedLifetime((aOp.tensor.storage, bOp.tensor.storage)) {
                let baseA = aOp.tensor.storage.base + aOp.tensor.offset
                let baseB = bOp.tensor.storage.base + bOp.tensor.offset
                let baseC = pc.baseAddress!
                func multiply(_ index: Int, split: Bool) {
                    var offsetA = 0, offsetB = 0, rest = index
                    for axis in stride(from: batch.count - 1, through: 0, by: -1) {
                        let position = rest % batch[axis]
                        rest /= batch[axis]
                        offsetA += position * aBatchStrides[axis]
                        offsetB += position * bBatchStrides[axis]
                    }
                    if split {
                        BLAS.parallelGemm(transposeA: aOp.transposed, transposeB: bOp.transposed, m: m, n: n, k: k,
                                          a: baseA + offsetA, lda: aOp.leading, b: baseB + offsetB, ldb: bOp.leading,
                                          c: baseC + index * m * n, ldc: n)
                    } else {
                        BLAS.gemm(transposeA: aOp.transposed, transposeB: bOp.transposed, m: m, n: n, k: k,
                                  a: baseA + offsetA, lda: aOp.leading, b: baseB + offsetB, ldb: bOp.leading,
                                  c: baseC + index * m * n, ldc: n)
                    }
                }
                if itemWork >= BLAS.parallelThreshold {
                    for index in 0..<batchCount { multiply(index, split: true) }
                } else {
                    parallelChunks(batchCount, grain: itemsPerChunk) { items in
                        for index in items { multiply(index, split: false) }
                    }
                }
            }
        }
        return result
    }
}

extension Tensor {
    /// self += alpha · op(a) op(b) for rank-2 operands, in place: self [M, N], op(a) [M, K],
    /// op(b) [K, N]. One GEMM with beta 1, so a sum of products needs no temporary for each
    /// term (a low-rank update added to a layer's output, say).
    public mutating func addMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                                   alpha: Float = 1) {
        precondition(rank == 2 && a.rank == 2 && b.rank == 2,
                     "addMatmul: needs rank-2 tensors, got \(shape) += \(a.shape) @ \(b.shape)")
        let left = transposeA ? a.transposed() : a, right = transposeB ? b.transposed() : b
        let m = left.shape[0], k = left.shape[1], n = right.shape[1]
        precondition(right.shape[0] == k && shape == [m, n],
                     "addMatmul: shapes do not fit: \(shape) += \(left.shape) @ \(right.shape)")
        if m == 0 || n == 0 || k == 0 { return }
        if !isContiguous { self = contiguous() }
        let aOperand = left.gemmOperand(), bOperand = right.gemmOperand()
        withUnsafeMutableBufferPointer { pc in
            withExtendedLifetime((aOperand.tensor.storage, bOperand.tensor.storage)) {
                BLAS.parallelGemm(transposeA: aOperand.transposed, transposeB: bOperand.transposed, m: m, n: n, k: k,
                                  alpha: alpha, a: aOperand.tensor.storage.base + aOperand.tensor.offset, lda: aOperand.leading,
                                  b: bOperand.tensor.storage.base + bOperand.tensor.offset, ldb: bOperand.leading,
                                  beta: 1, c: pc.baseAddress!, ldc: n)
            }
        }
    }
}
