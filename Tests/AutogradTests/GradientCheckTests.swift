// Finite-difference checks of every differentiable primitive in Sources/Autograd (attention
// and rotary embedding are in AttentionTests.swift). Each op feeds `probe`, a weighted sum with
// fixed random weights, so the check sees a generic upstream gradient. Inputs are small and
// kept away from kinks (relu at 0) and singularities (log, sqrt, division near 0).
import Testing
import Autograd
import Tensors

@Suite("Gradient checks: element-wise, products, shapes, reductions")
struct ElementwiseGradientTests {
    @Test func gradientCheckDetectsAWrongBackwardRule() {
        // y = x², recorded with the derivative 3x: the check must report a large error.
        let report = GradientCheck.check([seededTensor([4], seed: 1, low: 0.5, high: 1)]) { v in
            let x = v[0].value
            return probe(Variable.record(x.squared(), parents: [v[0]], operation: "wrong square") { g in [g * x * 3] })
        }
        #expect(report.maxError > 0.1)
        #expect(report.worstInput == 0)
    }

    @Test(arguments: [([2, 3], [3]), ([2, 3], [2, 1]), ([2, 3], []), ([1, 3], [2, 1]), ([2, 3], [2, 3]), ([3], [2, 2, 3])])
    func broadcastingArithmetic(lhsShape: [Int], rhsShape: [Int]) {
        let a = seededTensor(lhsShape, seed: 2), b = seededTensor(rhsShape, seed: 3, low: 0.5, high: 2)
        expectGradientsMatch([a, b]) { v in probe(v[0] + v[1]) }
        expectGradientsMatch([a, b]) { v in probe(v[0] - v[1]) }
        expectGradientsMatch([a, b]) { v in probe(v[0] * v[1]) }
        expectGradientsMatch([a, b]) { v in probe(v[0] / v[1]) }
        expectGradientsMatch([b, a]) { v in probe(v[1] / v[0]) }
    }

    @Test func sameVariableOnBothSides() {
        let x = seededTensor([3], seed: 4, low: 0.5, high: 1.5)
        expectGradientsMatch([x]) { v in probe(v[0] * v[0] + v[0] / v[0] - v[0]) }
    }

    @Test func scalarOperators() {
        let x = seededTensor([2, 3], seed: 5)
        expectGradientsMatch([x]) { v in probe(v[0] * 2.5) }
        expectGradientsMatch([x]) { v in probe(2.5 * v[0]) }
        expectGradientsMatch([x]) { v in probe((v[0] + 1.5) * v[0]) }
        expectGradientsMatch([x]) { v in probe((v[0] - 0.5) * v[0]) }
        expectGradientsMatch([x]) { v in probe(-v[0] * v[0]) }
    }

    @Test func unaryFunctions() {
        let x = seededTensor([2, 4], seed: 6, low: -2, high: 2)
        let positive = seededTensor([2, 4], seed: 7, low: 0.5, high: 2)
        // relu: |x| ≥ 0.1 so ±epsilon never crosses the kink.
        let awayFromZero = x.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
        expectGradientsMatch([x]) { v in probe(v[0].exp()) }
        expectGradientsMatch([positive]) { v in probe(v[0].log()) }
        expectGradientsMatch([positive]) { v in probe(v[0].sqrt()) }
        expectGradientsMatch([x]) { v in probe(v[0].squared()) }
        expectGradientsMatch([x]) { v in probe(v[0].tanh()) }
        expectGradientsMatch([x]) { v in probe(v[0].sigmoid()) }
        expectGradientsMatch([awayFromZero]) { v in probe(v[0].relu()) }
        expectGradientsMatch([x]) { v in probe(v[0].gelu()) }
        expectGradientsMatch([x]) { v in probe(v[0].silu()) }
    }

    @Test func fusedSwiGLU() {
        let gate = seededTensor([2, 5], seed: 40, low: -3, high: 3), up = seededTensor([2, 5], seed: 41, low: -2, high: 2)
        expectGradientsMatch([gate, up]) { v in probe(Variable.swiGLU(gate: v[0], up: v[1])) }
    }

    @Test(arguments: [false, true])
    func lowRankAdaptedLinear(masked: Bool) {
        // x [2, 3, 4] (batch folded into rows), W [5, 4], b [5], A [2, 4], B [5, 2].
        let x = seededTensor([2, 3, 4], seed: 50), w = seededTensor([5, 4], seed: 51), bias = seededTensor([5], seed: 52)
        let down = seededTensor([2, 4], seed: 53), up = seededTensor([5, 2], seed: 54)
        var generator = RandomGenerator(seed: 55)
        let mask = masked ? Tensor.dropoutMask(shape: x.shape, rate: 0.3, generator: &generator) : nil
        expectGradientsMatch([x, w, bias, down, up]) { v in
            probe(Variable.lowRankAdaptedLinear(v[0], weight: v[1], bias: v[2], down: v[3], up: v[4], scale: 1.5, inputMask: mask))
        }
        // Equal, up to rounding, to the unfused composition, in value and every gradient.
        let upstream = seededTensor([2, 3, 5], seed: 56)
        func run(fused: Bool) -> [Tensor] {
            let variables = [x, w, bias, down, up].map { Variable($0, requiresGrad: true) }
            let output: Variable
            if fused {
                output = Variable.lowRankAdaptedLinear(variables[0], weight: variables[1], bias: variables[2], down: variables[3],
                                                       up: variables[4], scale: 1.5, inputMask: mask)
            } else {
                let adapterInput = mask.map { variables[0] * Variable($0) } ?? variables[0]
                let update = Variable.linear(Variable.linear(adapterInput, weight: variables[3], bias: nil), weight: variables[4], bias: nil)
                output = Variable.linear(variables[0], weight: variables[1], bias: variables[2]) + update * 1.5
            }
            output.backward(seed: upstream)
            return [output.value] + variables.map { $0.grad! }
        }
        for (fused, composed) in zip(run(fused: true), run(fused: false)) {
            #expect(fused.shape == composed.shape)
            #expect(zip(fused.scalars, composed.scalars).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * (1 + Swift.abs($1)) })
        }
    }

    /// The fused gate evaluates the composition's expressions in its order: values and both
    /// gradients agree bit for bit, including the partial last vector (37 = 2·16 + 5 lanes).
    @Test func fusedSwiGLUEqualsTheComposition() {
        let gateValues = seededTensor([3, 37], seed: 42, low: -6, high: 6), upValues = seededTensor([3, 37], seed: 43)
        let upstream = seededTensor([3, 37], seed: 44)
        func run(fused: Bool) -> (Tensor, Tensor, Tensor) {
            let gate = Variable(gateValues, requiresGrad: true), up = Variable(upValues, requiresGrad: true)
            let output = fused ? Variable.swiGLU(gate: gate, up: up) : gate.silu() * up
            output.backward(seed: upstream)
            return (output.value, gate.grad!, up.grad!)
        }
        let fused = run(fused: true), composed = run(fused: false)
        #expect(fused.0.scalars == composed.0.scalars)
        #expect(fused.1.scalars == composed.1.scalars)
        #expect(fused.2.scalars == composed.2.scalars)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func matmulTransposeFlags(transposeA: Bool, transposeB: Bool) {
        // op(A) [3, 4] @ op(B) [4, 2]
        let a = seededTensor(transposeA ? [4, 3] : [3, 4], seed: 8)
        let b = seededTensor(transposeB ? [2, 4] : [4, 2], seed: 9)
        expectGradientsMatch([a, b]) { v in
            probe(Variable.matmul(v[0], v[1], transposeA: transposeA, transposeB: transposeB))
        }
        // Batched with broadcast batch dimensions: [2, 1] x [3] -> [2, 3].
        let a4 = seededTensor([2, 1] + a.shape, seed: 10), b3 = seededTensor([3] + b.shape, seed: 11)
        expectGradientsMatch([a4, b3]) { v in
            probe(Variable.matmul(v[0], v[1], transposeA: transposeA, transposeB: transposeB))
        }
        // A shared (rank-2) right operand, as a projection applied to a batch.
        expectGradientsMatch([a4, b]) { v in
            probe(Variable.matmul(v[0], v[1], transposeA: transposeA, transposeB: transposeB))
        }
    }

    @Test func matmulWithOneConstantOperand() {
        let a = seededTensor([3, 4], seed: 12), b = seededTensor([4, 2], seed: 13)
        expectGradientsMatch([a]) { v in probe(Variable.matmul(v[0], Variable(b))) }
        expectGradientsMatch([b]) { v in probe(Variable.matmul(Variable(a), v[0])) }
    }

    @Test func linearWithAndWithoutBias() {
        let x = seededTensor([2, 3, 4], seed: 14), w = seededTensor([5, 4], seed: 15), b = seededTensor([5], seed: 16)
        expectGradientsMatch([x, w, b]) { v in probe(Variable.linear(v[0], weight: v[1], bias: v[2])) }
        expectGradientsMatch([x, w]) { v in probe(Variable.linear(v[0], weight: v[1], bias: nil)) }
        // A transposed (non-contiguous) input.
        let xt = seededTensor([4, 3], seed: 17)
        expectGradientsMatch([xt, w]) { v in probe(Variable.linear(v[0].transposed(), weight: v[1], bias: nil)) }
    }

    @Test func shapeOperations() {
        let x = seededTensor([2, 3, 4], seed: 18)
        expectGradientsMatch([x]) { v in probe(v[0].reshaped([4, -1])) }
        expectGradientsMatch([x]) { v in probe(v[0].permuted([2, 0, 1])) }
        expectGradientsMatch([x]) { v in probe(v[0].transposed()) }
        expectGradientsMatch([x]) { v in probe(v[0].transposed(0, 2)) }
        expectGradientsMatch([x]) { v in probe(v[0].sliced(axis: 1, 1..<3)) }
        expectGradientsMatch([x]) { v in probe(v[0].sliced(axis: -1, 0..<1)) }
        expectGradientsMatch([x]) { v in probe(v[0].sliced(axis: 0, 1..<2)) }
        let y = seededTensor([2, 1, 4], seed: 19)
        expectGradientsMatch([x, y]) { v in probe(Variable.concatenate([v[0], v[1], v[0]], axis: 1)) }
        expectGradientsMatch([x, x]) { v in probe(Variable.concatenate([v[0], v[1]], axis: -1)) }
        expectGradientsMatch([y]) { v in probe(v[0].broadcast(to: [3, 2, 5, 4])) }
    }

    @Test func reductions() {
        let x = seededTensor([2, 3, 4], seed: 20)
        expectGradientsMatch([x]) { v in v[0].sum() * 0.7 }
        expectGradientsMatch([x]) { v in v[0].mean() * 1.3 }
        expectGradientsMatch([x]) { v in (v[0] * v[0]).mean() }
        for axis in [0, 1, 2, -1] {
            for keepDims in [false, true] {
                expectGradientsMatch([x]) { v in probe(v[0].sum(axis: axis, keepDims: keepDims)) }
                expectGradientsMatch([x]) { v in probe(v[0].mean(axis: axis, keepDims: keepDims)) }
            }
        }
    }
}

@Suite("Gradient checks: normalisation, losses, convolution, dropout")
struct LayerGradientTests {
    @Test func softmaxAndLogSoftmax() {
        let x = seededTensor([2, 3, 5], seed: 21, low: -2, high: 2)
        expectGradientsMatch([x]) { v in probe(v[0].softmax()) }
        expectGradientsMatch([x]) { v in probe(v[0].logSoftmax()) }
        expectGradientsMatch([x]) { v in probe(v[0].transposed().softmax()) }
    }

    @Test func layerNormWithAndWithoutAffine() {
        let x = seededTensor([2, 3, 6], seed: 22, low: -2, high: 2)
        let w = seededTensor([6], seed: 23, low: 0.5, high: 1.5), b = seededTensor([6], seed: 24)
        expectGradientsMatch([x, w, b]) { v in probe(Variable.layerNorm(v[0], weight: v[1], bias: v[2])) }
        expectGradientsMatch([x]) { v in probe(Variable.layerNorm(v[0], weight: nil, bias: nil)) }
        expectGradientsMatch([x, w]) { v in probe(Variable.layerNorm(v[0], weight: v[1], bias: nil)) }
        expectGradientsMatch([x, b]) { v in probe(Variable.layerNorm(v[0], weight: nil, bias: v[1])) }
    }

    @Test func rmsNormWithAndWithoutWeight() {
        let x = seededTensor([2, 3, 6], seed: 25, low: -2, high: 2)
        let w = seededTensor([6], seed: 26, low: 0.5, high: 1.5)
        expectGradientsMatch([x, w]) { v in probe(Variable.rmsNorm(v[0], weight: v[1])) }
        expectGradientsMatch([x]) { v in probe(Variable.rmsNorm(v[0], weight: nil)) }
    }

    @Test func embeddingAddsGradientsOfRepeatedIds() {
        let table = seededTensor([6, 3], seed: 27)
        let ids = IndexTensor(shape: [2, 3], values: [1, 4, 1, 0, 5, 1])
        expectGradientsMatch([table]) { v in probe(Variable.embedding(v[0], ids: ids)) }
    }

    @Test func crossEntropyWithIgnoredTargets() {
        let logits = seededTensor([2, 3, 5], seed: 28, low: -2, high: 2)
        let targets = IndexTensor(shape: [2, 3], values: [4, -100, 0, 2, 2, -100])
        expectGradientsMatch([logits]) { v in Variable.crossEntropy(logits: v[0], targets: targets) * 1.7 }
        let custom = IndexTensor(shape: [2, 3], values: [4, 3, 0, 2, 2, 3])
        expectGradientsMatch([logits]) { v in Variable.crossEntropy(logits: v[0], targets: custom, ignoreIndex: 3) }
        // Composed with other ops (the upstream gradient is not 1).
        expectGradientsMatch([logits]) { v in Variable.crossEntropy(logits: v[0] * 2, targets: targets).squared() }
    }

    @Test func meanSquaredError() {
        let prediction = seededTensor([3, 4], seed: 29), target = seededTensor([3, 4], seed: 30)
        expectGradientsMatch([prediction]) { v in Variable.meanSquaredError(v[0], target) }
    }

    @Test func conv2dStrideTwoPaddingOne() {
        let x = seededTensor([2, 2, 5, 4], seed: 31), w = seededTensor([3, 2, 3, 3], seed: 32)
        let b = seededTensor([3], seed: 33)
        expectGradientsMatch([x, w, b]) { v in probe(Variable.conv2d(v[0], weight: v[1], bias: v[2], stride: 2, padding: 1)) }
        expectGradientsMatch([x, w]) { v in probe(Variable.conv2d(v[0], weight: v[1], bias: nil, stride: 1, padding: 0)) }
    }

    @Test func dropoutWithAFixedMask() {
        let x = seededTensor([4, 5], seed: 34)
        expectGradientsMatch([x]) { v in
            var generator = RandomGenerator(seed: 35)                // same mask on every evaluation
            return probe(v[0].dropout(rate: 0.4, generator: &generator))
        }
        var generator = RandomGenerator(seed: 36)
        let y = Variable(Tensor.ones([1000]), requiresGrad: true).dropout(rate: 0.25, generator: &generator)
        let values = y.value.scalars
        #expect(values.allSatisfy { $0 == 0 || Swift.abs($0 - 1 / 0.75) < 1e-6 })
        let dropped = values.filter { $0 == 0 }.count
        #expect(dropped > 200 && dropped < 300)                     // ~ Binomial(1000, 0.25): 250 ± 14
        // Rate 0 is the identity.
        let x0 = Variable(x, requiresGrad: true)
        #expect(x0.dropout(rate: 0, generator: &generator) === x0)
    }
}
