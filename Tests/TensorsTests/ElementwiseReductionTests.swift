// Element-wise math with broadcasting, reductions, and `reduced(toShape:)`, each against a
// naive loop over full indices. Operands include transposed and sliced views so the strided
// paths run as well as the dense fast path.
import Foundation
import Testing
import Tensors

/// Naive broadcasting binary op: out[i] = op(a[bcast i], b[bcast i]).
private func naiveZip(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
    let shape = Tensor.broadcastShape(a.shape, b.shape)!
    func project(_ index: [Int], _ t: Tensor) -> [Int] {
        let lead = shape.count - t.rank
        return (0..<t.rank).map { t.shape[$0] == 1 ? 0 : index[lead + $0] }
    }
    let values = allIndices(shape).map { op(element(a, project($0, a)), element(b, project($0, b))) }
    return Tensor(shape: shape, scalars: values)
}

/// Naive sum over `axis`, keeping it as size 1.
private func naiveSum(_ t: Tensor, axis: Int) -> Tensor {
    var outShape = t.shape
    outShape[axis] = 1
    let values = allIndices(outShape).map { index -> Float in
        var total: Float = 0
        var i = index
        for position in 0..<t.shape[axis] { i[axis] = position; total += element(t, i) }
        return total
    }
    return Tensor(shape: outShape, scalars: values)
}

@Suite("Element-wise ops and reductions")
struct ElementwiseReductionTests {
    @Test func broadcastShapeFollowsNumPy() {
        #expect(Tensor.broadcastShape([2, 3], [3]) == [2, 3])
        #expect(Tensor.broadcastShape([2, 1, 4], [3, 1]) == [2, 3, 4])
        #expect(Tensor.broadcastShape([], [5]) == [5])
        #expect(Tensor.broadcastShape([2, 3], [2]) == nil)
        #expect(Tensor.broadcastShape([4, 1], [1, 0]) == [4, 0])
    }

    @Test(arguments: [([2, 3], [3]), ([2, 1, 4], [3, 1]), ([1, 3], [2, 1]), ([], [2, 2]), ([2, 3], [2, 3])])
    func binaryOpsBroadcastLikeANaiveLoop(lhsShape: [Int], rhsShape: [Int]) {
        let a = seededTensor(lhsShape, seed: 1), b = seededTensor(rhsShape, seed: 2, low: 0.5, high: 2)
        expectClose(a + b, naiveZip(a, b, +))
        expectClose(a - b, naiveZip(a, b, -))
        expectClose(a * b, naiveZip(a, b, *))
        expectClose(a / b, naiveZip(a, b, /))
        expectClose(b - a, naiveZip(b, a, -))
        expectClose(Tensor.maximum(a, b), naiveZip(a, b, Swift.max))
    }

    @Test func binaryOpsOnStridedViews() {
        let a = seededTensor([4, 3], seed: 3).transposed()            // [3, 4], strides [1, 3]
        let b = seededTensor([3, 6], seed: 4).sliced(axis: 1, 1..<5)  // [3, 4], row stride 6
        expectClose(a * b, naiveZip(a, b, *))
        let column = seededTensor([1, 3], seed: 5).transposed()       // [3, 1]
        expectClose(a + column, naiveZip(a, column, +))
    }

    @Test func scalarOperators() {
        let x = Tensor(shape: [3], scalars: [1, -2, 4])
        #expect((x + 1).scalars == [2, -1, 5])
        #expect((x - 1).scalars == [0, -3, 3])
        #expect((x * 2).scalars == [2, -4, 8])
        #expect((x / 2).scalars == [0.5, -1, 2])
        #expect((2 * x).scalars == [2, -4, 8])
        #expect((1 + x).scalars == [2, -1, 5])
        #expect((1 - x).scalars == [0, 3, -3])
        #expect((4 / x).scalars == [4, -2, 1])
        #expect((-x).scalars == [-1, 2, -4])
    }

    @Test func unaryFunctionsMatchFoundation() {
        let x = seededTensor([2, 5], seed: 6, low: -3, high: 3)
        let positive = x.abs() + 0.1
        let values = x.scalars
        expectClose(x.exp(), shape: x.shape, values.map { Foundation.exp($0) })
        expectClose(positive.log(), shape: x.shape, values.map { Foundation.log(Swift.abs($0) + 0.1) })
        expectClose(positive.sqrt(), shape: x.shape, values.map { (Swift.abs($0) + 0.1).squareRoot() })
        expectClose(x.squared(), shape: x.shape, values.map { $0 * $0 })
        expectClose(x.tanh(), shape: x.shape, values.map { Foundation.tanh($0) })
        expectClose(positive.pow(1.5), shape: x.shape, values.map { Foundation.pow(Swift.abs($0) + 0.1, 1.5) })
        expectClose(x.clamped(min: -1, max: 0.5), shape: x.shape, values.map { Swift.min(Swift.max($0, -1), 0.5) })
        expectClose(x.relu(), shape: x.shape, values.map { Swift.max($0, 0) })
        expectClose(x.sigmoid(), shape: x.shape, values.map { 1 / (1 + Foundation.exp(-$0)) })
        expectClose(x.silu(), shape: x.shape, values.map { $0 / (1 + Foundation.exp(-$0)) })
        // Exact GELU: x Φ(x), with Φ from erfc for an independent formula.
        expectClose(x.gelu(), shape: x.shape, values.map { $0 * 0.5 * Foundation.erfc(-$0 / Float(2).squareRoot()) })
        #expect(x.map { $0 * 3 }.scalars == values.map { $0 * 3 })
    }

    @Test func activationDerivativesMatchCentralDifferences() {
        // Double-precision differences of the Float formulas are accurate to ~1e-3 here.
        for x: Float in [-2.5, -0.7, 0.3, 1.9] {
            let h: Float = 1e-2
            // GELU through the tensor kernels the library runs (Kernels.GELU, Kernels.GELUDerivative).
            let points = Tensor(shape: [3], scalars: [x - h, x + h, x])
            let values = points.gelu().scalars, derivative = points.geluDerivative().scalars[2]
            let gelu = (values[1] - values[0]) / (2 * h)
            let silu = ((x + h) * Activation.sigmoid(x + h) - (x - h) * Activation.sigmoid(x - h)) / (2 * h)
            #expect(Swift.abs(derivative - gelu) < 1e-3)
            #expect(Swift.abs(Activation.siluDerivative(x) - silu) < 1e-3)
        }
    }

    @Test func largeTensorsTakeTheParallelPathWithTheSameResult() {
        let count = 100_003                                   // above the 2^15 grain, not a multiple of 2
        let x = seededTensor([count], seed: 7)
        let y = seededTensor([count], seed: 8)
        let sum = (x + y).scalars, mapped = x.map { 2 * $0 + 1 }.scalars
        let xs = x.scalars, ys = y.scalars
        #expect(sum == zip(xs, ys).map { $0 + $1 })
        #expect(mapped == xs.map { 2 * $0 + 1 })
        var seen = [Int](repeating: 0, count: count)
        seen.withUnsafeMutableBufferPointer { counts in
            let base = counts.baseAddress!
            parallelChunks(count, grain: 1000) { range in for i in range { base[i] += 1 } }
        }
        #expect(seen.allSatisfy { $0 == 1 })
    }

    /// Large sums run on the workers: each element is y + (s·x), the product rounded and then
    /// the sum, as a single-threaded loop gives it.
    @Test func largeAddScaledRoundsLikeAScalarLoop() {
        let x = seededTensor([300, 257], seed: 41), y = seededTensor([300, 257], seed: 42)
        var sum = y
        sum.addScaled(x, scale: -0.3)
        let expected = zip(y.scalars, x.scalars).map { y, x in y + Float(-0.3) * x }
        #expect(sum.scalars.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test func addScaledAndPlusEqualsCopyBeforeWriting() {
        var a = Tensor(shape: [3], scalars: [1, 2, 3])
        let shared = a
        a.addScaled(Tensor(shape: [3], scalars: [1, 1, 1]), scale: 0.5)
        #expect(a.scalars == [1.5, 2.5, 3.5])
        #expect(shared.scalars == [1, 2, 3])
        a += a                                               // self-aliasing operand
        #expect(a.scalars == [3, 5, 7])
        var view = Tensor.arange(6).reshaped([2, 3]).transposed()
        view += Tensor.ones([3, 2])
        #expect(view.scalars == [1, 4, 2, 5, 3, 6])
    }

    @Test func finitenessCheck() {
        #expect(Tensor(shape: [2], scalars: [1, 2]).isFinite)
        #expect(!Tensor(shape: [2], scalars: [1, .nan]).isFinite)
        #expect(!Tensor(shape: [2], scalars: [.infinity, 2]).isFinite)
    }

    @Test func axisReductionsMatchNaiveLoops() {
        let x = seededTensor([2, 3, 4], seed: 9)
        for axis in 0..<3 {
            let expected = naiveSum(x, axis: axis)
            expectClose(x.sum(axis: axis, keepDims: true), expected)
            var dropped = x.shape
            dropped.remove(at: axis)
            expectClose(x.sum(axis: axis), expected.reshaped(dropped))
            expectClose(x.mean(axis: axis), expected.reshaped(dropped) / Float(x.shape[axis]))
            expectClose(x.sum(axis: axis - 3), expected.reshaped(dropped))       // negative axis
        }
        let m = Tensor(shape: [2, 3], scalars: [1, 5, -2, 7, 0, 3])
        #expect(m.max(axis: 1).scalars == [5, 7])
        #expect(m.max(axis: 0, keepDims: true).shape == [1, 3])
        #expect(m.max(axis: 0).scalars == [7, 5, 3])
    }

    @Test func reductionsOfViews() {
        let x = seededTensor([3, 4], seed: 10)
        let t = x.transposed()
        expectClose(t.sum(axis: 1), x.sum(axis: 0))
        let slice = x.sliced(axis: 1, 1..<3)
        expectClose(slice.sum(axis: 1), naiveSum(slice, axis: 1).reshaped([3]))
    }

    @Test func wholeTensorReductions() {
        let x = Tensor(shape: [2, 2], scalars: [1, -3, 2, 4])
        #expect(x.sum() == 4)
        #expect(x.mean() == 1)
        #expect(x.max() == 4)
        #expect(x.squaredNorm() == 30)
        #expect(x.transposed().sum() == 4)
        let scores = Tensor(shape: [3, 3], scalars: [0, 2, 1, 5, -1, 5, -3, -2, -9])
        #expect(scores.argmaxLastAxis() == [1, 0, 1])               // ties: first index
    }

    @Test(arguments: [[3, 1], [1, 3, 4], [4], [], [2, 1, 1], [2, 3, 4], [1, 1, 4]])
    func reducedToShapeIsTheAdjointOfBroadcast(target: [Int]) {
        let g = seededTensor([2, 3, 4], seed: 11)
        let reduced = g.reduced(toShape: target)
        #expect(reduced.shape == target)
        // <broadcast(u), g> = <u, reduced(g)> for every u of the target shape.
        let u = seededTensor(target, seed: 12)
        let lhs = innerProduct(u.broadcast(to: g.shape), g)
        let rhs = innerProduct(u, reduced)
        #expect(Swift.abs(lhs - rhs) < 1e-4)
    }
}
