// Matrix products against a naive triple loop: plain, transposeA/transposeB flags, transposed
// and sliced views as operands (which reach sgemm as flags and leading dimensions, not copies),
// batched products with broadcast batch dimensions, and the single-GEMM fold path.
// Shapes: a [..., M, K] @ b [..., K, N] -> [..., M, N].
import Testing
import Tensors

/// Naive batched matmul with NumPy broadcasting of the batch dimensions (rank >= 2).
private func naiveMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
    let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1], n = b.shape[b.rank - 1]
    precondition(b.shape[b.rank - 2] == k)
    let batch = Tensor.broadcastShape(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))!
    let left = a.broadcast(to: batch + [m, k]), right = b.broadcast(to: batch + [k, n])
    var values: [Float] = []
    for batchIndex in allIndices(batch) {
        for i in 0..<m {
            for j in 0..<n {
                var total: Double = 0
                for p in 0..<k {
                    total += Double(element(left, batchIndex + [i, p])) * Double(element(right, batchIndex + [p, j]))
                }
                values.append(Float(total))
            }
        }
    }
    return Tensor(shape: batch + [m, n], scalars: values)
}

@Suite("Matrix products")
struct MatMulTests {
    @Test func smallProductByHand() {
        let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let b = Tensor(shape: [2, 2], scalars: [5, 6, 7, 8])
        #expect(Tensor.matmul(a, b).scalars == [19, 22, 43, 50])
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func transposeFlagsMatchExplicitTransposes(transposeA: Bool, transposeB: Bool) {
        // op(A) is [3, 4], op(B) is [4, 5].
        let a = seededTensor(transposeA ? [4, 3] : [3, 4], seed: 1)
        let b = seededTensor(transposeB ? [5, 4] : [4, 5], seed: 2)
        let expected = naiveMatmul(transposeA ? a.transposed() : a, transposeB ? b.transposed() : b)
        expectClose(Tensor.matmul(a, b, transposeA: transposeA, transposeB: transposeB), expected)
        // The same with a batch dimension on both operands and on one only.
        let a3 = seededTensor([2] + a.shape, seed: 3), b3 = seededTensor([2] + b.shape, seed: 4)
        let opA3 = transposeA ? a3.transposed() : a3, opB3 = transposeB ? b3.transposed() : b3
        expectClose(Tensor.matmul(a3, b3, transposeA: transposeA, transposeB: transposeB), naiveMatmul(opA3, opB3))
        expectClose(Tensor.matmul(a3, b, transposeA: transposeA, transposeB: transposeB),
                    naiveMatmul(opA3, transposeB ? b.transposed() : b))
        expectClose(Tensor.matmul(a, b3, transposeA: transposeA, transposeB: transposeB),
                    naiveMatmul(transposeA ? a.transposed() : a, opB3))
    }

    @Test func transposedAndSlicedViewsAsOperands() {
        let base = seededTensor([6, 7], seed: 5)
        let a = base.sliced(axis: 1, 1..<5).sliced(axis: 0, 0..<3)      // [3, 4], row stride 7
        let b = seededTensor([5, 4], seed: 6).transposed()              // [4, 5], column-major
        expectClose(Tensor.matmul(a, b), naiveMatmul(a, b))
        let aT = seededTensor([4, 3], seed: 7).transposed()             // [3, 4] transposed view
        expectClose(Tensor.matmul(aT, b), naiveMatmul(aT, b))
        // A view that is neither row- nor column-major (every other column) takes the copy path.
        let strided = Tensor(storage: base.storage, shape: [3, 3], strides: [7, 2], offset: 0)
        let c = seededTensor([3, 2], seed: 8)
        expectClose(Tensor.matmul(strided, c), naiveMatmul(strided, c))
        // Row and column vectors.
        let row = base.sliced(axis: 0, 2..<3)                          // [1, 7]
        let column = seededTensor([7, 1], seed: 9)
        expectClose(Tensor.matmul(row, column), naiveMatmul(row, column))
        expectClose(Tensor.matmul(column, row), naiveMatmul(column, row))
    }

    @Test(arguments: [([2, 1, 3, 4], [3, 4, 5]), ([2, 3, 4], [4, 5]), ([2, 3, 4], [1, 4, 5]), ([3, 4], [2, 2, 4, 5]),
                      ([1, 3, 4], [2, 4, 5]), ([2, 2, 3, 4], [2, 1, 4, 5]), ([3, 2, 3, 4], [1, 1, 4, 5])])
    func batchedProductsBroadcastBatchDimensions(aShape: [Int], bShape: [Int]) {
        let a = seededTensor(aShape, seed: 10), b = seededTensor(bShape, seed: 11)
        let product = Tensor.matmul(a, b)
        let expected = naiveMatmul(a, b)
        #expect(product.shape == expected.shape)
        expectClose(product, expected)
    }

    @Test func batchedTransposedViewsOfAttentionShapes() {
        // q [B, H, T, D] @ kᵀ, as attention computes its scores, and Pᵀ @ dO in its backward.
        let q = seededTensor([2, 3, 4, 5], seed: 12), k = seededTensor([2, 3, 6, 5], seed: 13)
        expectClose(Tensor.matmul(q, k, transposeB: true), naiveMatmul(q, k.transposed()))
        expectClose(Tensor.matmul(q, k.transposed()), naiveMatmul(q, k.transposed()))
        let p = seededTensor([2, 3, 4, 6], seed: 14)
        expectClose(Tensor.matmul(p, q, transposeA: true), naiveMatmul(p.transposed(), q))
        // A permuted (non-contiguous) batch: [B, T, H, D] viewed as [B, H, T, D].
        let permuted = seededTensor([2, 4, 3, 5], seed: 15).permuted([0, 2, 1, 3])
        expectClose(Tensor.matmul(permuted, k, transposeB: true), naiveMatmul(permuted, k.transposed()))
    }

    @Test func emptyInnerDimensionGivesZeros() {
        let a = Tensor.zeros([2, 0]), b = Tensor.zeros([0, 3])
        let product = Tensor.matmul(a, b)
        #expect(product.shape == [2, 3])
        #expect(product.scalars == [Float](repeating: 0, count: 6))
        #expect(Tensor.matmul(Tensor.zeros([0, 4]), Tensor.ones([4, 2])).shape == [0, 2])
    }
}
