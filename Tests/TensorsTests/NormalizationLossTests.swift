// Row-wise kernels over the last axis (softmax, log-softmax, layer norm, RMS norm) and the
// fused softmax cross-entropy, against formulas written out per row in Double.
// Shapes: x [R, D] (leading dimensions fold into R).
import Foundation
import Testing
import Tensors

/// Rows of a tensor's last axis, in Double.
private func rows(_ t: Tensor) -> [[Double]] {
    let length = t.shape.last!
    let values = t.scalars.map(Double.init)
    return stride(from: 0, to: values.count, by: length).map { Array(values[$0..<($0 + length)]) }
}

private func naiveSoftmax(_ row: [Double]) -> [Double] {
    let peak = row.max()!
    let exps = row.map { Foundation.exp($0 - peak) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}

@Suite("Normalisation and loss kernels")
struct NormalizationLossTests {
    let x = seededTensor([2, 3, 5], seed: 21, low: -3, high: 3)

    @Test func softmaxMatchesTheFormulaAndSumsToOne() {
        let y = x.softmax()
        #expect(y.shape == x.shape)
        expectClose(y, shape: x.shape, rows(x).flatMap(naiveSoftmax).map(Float.init))
        for row in rows(y) { #expect(Swift.abs(row.reduce(0, +) - 1) < 1e-6) }
    }

    @Test func softmaxIsShiftInvariantAndStable() {
        let shifted = (x + 1000).softmax()
        #expect(shifted.isFinite)
        expectClose(shifted, x.softmax(), tolerance: 1e-4)
        // A fully masked row gives zeros rather than NaN (attention relies on it).
        let masked = Tensor(shape: [2, 3], scalars: [-.infinity, -.infinity, -.infinity, 0, -.infinity, 0])
        #expect(masked.softmax().scalars == [0, 0, 0, 0.5, 0, 0.5])
    }

    @Test func logSoftmaxMatchesLogOfSoftmax() {
        let expected = rows(x).flatMap { naiveSoftmax($0).map { Float(Foundation.log($0)) } }
        expectClose(x.logSoftmax(), shape: x.shape, expected)
        #expect((x + 1000).logSoftmax().isFinite)
        expectClose((x + 1000).logSoftmax(), x.logSoftmax(), tolerance: 1e-4)
    }

    @Test func softmaxOfATransposedViewUsesLogicalRows() {
        let t = seededTensor([5, 3], seed: 22).transposed()        // [3, 5]
        expectClose(t.softmax(), t.contiguous().softmax())
    }

    @Test func layerNormMatchesTheFormula() {
        let gamma = seededTensor([5], seed: 23, low: 0.5, high: 1.5), beta = seededTensor([5], seed: 24)
        let epsilon: Float = 1e-5
        let (y, mean, inverseStd) = Tensor.layerNorm(x, weight: gamma, bias: beta, epsilon: epsilon)
        var expected: [Float] = [], expectedMean: [Float] = [], expectedInverse: [Float] = []
        let g = gamma.scalars.map(Double.init), b = beta.scalars.map(Double.init)
        for row in rows(x) {
            let mu = row.reduce(0, +) / Double(row.count)
            let variance = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(row.count)   // biased, as torch
            let r = 1 / (variance + Double(epsilon)).squareRoot()
            expected += row.indices.map { Float((row[$0] - mu) * r * g[$0] + b[$0]) }
            expectedMean.append(Float(mu))
            expectedInverse.append(Float(r))
        }
        expectClose(y, shape: x.shape, expected)
        expectClose(mean, shape: [6], expectedMean)
        expectClose(inverseStd, shape: [6], expectedInverse)
        // Without affine parameters each row has mean 0 and variance ≈ 1.
        let plain = Tensor.layerNorm(x, weight: nil, bias: nil, epsilon: epsilon).output
        for row in rows(plain) {
            #expect(Swift.abs(row.reduce(0, +)) < 1e-5)
            #expect(Swift.abs(row.reduce(0) { $0 + $1 * $1 } / 5 - 1) < 1e-4)
        }
    }

    @Test func rmsNormMatchesTheFormula() {
        let gamma = seededTensor([5], seed: 25, low: 0.5, high: 1.5)
        let epsilon: Float = 1e-6
        let (y, inverseRMS) = Tensor.rmsNorm(x, weight: gamma, epsilon: epsilon)
        let g = gamma.scalars.map(Double.init)
        var expected: [Float] = [], expectedInverse: [Float] = []
        for row in rows(x) {
            let r = 1 / (row.reduce(0) { $0 + $1 * $1 } / Double(row.count) + Double(epsilon)).squareRoot()
            expected += row.indices.map { Float(row[$0] * r * g[$0]) }
            expectedInverse.append(Float(r))
        }
        expectClose(y, shape: x.shape, expected)
        expectClose(inverseRMS, shape: [6], expectedInverse)
        let plain = Tensor.rmsNorm(x, weight: nil, epsilon: epsilon).output
        for row in rows(plain) { #expect(Swift.abs(row.reduce(0) { $0 + $1 * $1 } / 5 - 1) < 1e-4) }
    }

    @Test func softmaxCrossEntropyMatchesTheFormulaAndIgnoresRows() {
        let logits = seededTensor([4, 5], seed: 26, low: -2, high: 2)
        let targets: [Int32] = [3, -100, 0, 3]
        let (loss, gradient, counted) = Tensor.softmaxCrossEntropy(logits: logits, targets: targets)
        #expect(counted == 3)
        var total = 0.0
        var expectedGradient: [Float] = []
        for (r, row) in rows(logits).enumerated() {
            let p = naiveSoftmax(row)
            if targets[r] == -100 {
                expectedGradient += [Float](repeating: 0, count: 5)
                continue
            }
            total -= Foundation.log(p[Int(targets[r])])
            expectedGradient += p.indices.map { Float((p[$0] - ($0 == Int(targets[r]) ? 1 : 0)) / 3) }
        }
        #expect(Swift.abs(Double(loss) - total / 3) < 1e-5)
        expectClose(gradient, shape: [4, 5], expectedGradient)
        // A custom ignore index, and no counted rows at all.
        let custom = Tensor.softmaxCrossEntropy(logits: logits, targets: [3, 1, 0, 3], ignoreIndex: 1)
        #expect(custom.counted == 3 && custom.loss == loss)
        let none = Tensor.softmaxCrossEntropy(logits: logits, targets: [-100, -100, -100, -100])
        #expect(none.counted == 0 && none.loss == 0)
        #expect(none.gradient.scalars.allSatisfy { $0 == 0 })
    }
}
