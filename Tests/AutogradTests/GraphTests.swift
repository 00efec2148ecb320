// The tape itself: gradient accumulation across backward passes, leaves that do not require
// gradients, detach, `withoutGradients`, shared sub-expressions, and seeds for non-scalar outputs.
//
// Bad shapes are programmer errors reported by `precondition` with the op name and shapes
// (e.g. "matmul: inner dimensions differ: [2, 3] @ [4, 5]"). Swift Testing cannot catch a
// precondition failure in-process, so those messages are not asserted here; the throwing API for
// user data, `Tensor(validatingShape:scalars:)`, is tested in Tests/TensorsTests/ViewTests.swift.
import Testing
import Autograd
import Tensors

@Suite("Graph recording and backward")
struct GraphTests {
    /// A frozen weight takes the packed-once GEMM path (PackedWeights): the same output and input
    /// gradient, bit for bit, as the same weight trainable; plain and LoRA linears.
    @Test func frozenLinearMatchesTrainableBitForBit() {
        let input = seededTensor([2, 64, 256], seed: 1), weightValues = seededTensor([320, 256], seed: 2)
        let down = seededTensor([8, 256], seed: 3), up = seededTensor([320, 8], seed: 4)
        func run(frozen: Bool, lowRank: Bool) -> (output: [Float], inputGradient: [Float]) {
            let x = Variable(input, requiresGrad: true), weight = Variable(weightValues, requiresGrad: !frozen)
            let y = lowRank
                ? Variable.lowRankAdaptedLinear(x, weight: weight, bias: nil, down: Variable(down, requiresGrad: true),
                                                up: Variable(up, requiresGrad: true), scale: 4)
                : Variable.linear(x, weight: weight, bias: nil)
            (y * y).sum().backward()
            return (y.value.scalars, x.grad!.scalars)
        }
        for lowRank in [false, true] {
            let frozen = run(frozen: true, lowRank: lowRank), trainable = run(frozen: false, lowRank: lowRank)
            #expect(frozen.output.map(\.bitPattern) == trainable.output.map(\.bitPattern), "lowRank \(lowRank)")
            #expect(frozen.inputGradient.map(\.bitPattern) == trainable.inputGradient.map(\.bitPattern), "lowRank \(lowRank)")
        }
    }

    /// Inside `PackedWeights.reusingWeights` (decoding) trainable weights take the packed-once
    /// path too: the same outputs, bit for bit, for a plain linear and a LoRA one.
    @Test func reusedWeightsGiveTheSameBits() {
        let input = seededTensor([16, 1, 256], seed: 5), weightValues = seededTensor([1024, 256], seed: 6)
        let down = seededTensor([8, 256], seed: 7), up = seededTensor([1024, 8], seed: 8)
        func run(lowRank: Bool) -> [Float] {
            let weight = Variable(weightValues, requiresGrad: true)
            let x = Variable(input)
            return withoutGradients {
                (lowRank
                    ? Variable.lowRankAdaptedLinear(x, weight: weight, bias: nil, down: Variable(down, requiresGrad: true),
                                                    up: Variable(up, requiresGrad: true), scale: 4)
                    : Variable.linear(x, weight: weight, bias: nil)).value.scalars
            }
        }
        for lowRank in [false, true] {
            let plain = run(lowRank: lowRank)
            let reused = PackedWeights.reusingWeights { (0..<2).map { _ in run(lowRank: lowRank) } }
            for output in reused {
                #expect(output.map(\.bitPattern) == plain.map(\.bitPattern), "lowRank \(lowRank)")
            }
        }
    }

    @Test func gradientsOfASimpleExpression() {
        // L = Σ (x ⊙ y + x): dL/dx = y + 1, dL/dy = x.
        let x = Variable(Tensor(shape: [3], scalars: [1, 2, 3]), requiresGrad: true)
        let y = Variable(Tensor(shape: [3], scalars: [4, 5, 6]), requiresGrad: true)
        let loss = (x * y + x).sum()
        #expect(loss.value.scalar == 38)
        #expect(!loss.isLeaf && loss.operation == "sum" && loss.requiresGrad)
        loss.backward()
        #expect(x.grad?.scalars == [5, 6, 7])
        #expect(y.grad?.scalars == [1, 2, 3])
    }

    @Test func twoBackwardPassesAdd() {
        let x = Variable(Tensor(shape: [2], scalars: [1, -2]), requiresGrad: true)
        let loss = (x * x).sum()                                    // dL/dx = 2x
        loss.backward(retainGraph: true)
        #expect(x.grad?.scalars == [2, -4])
        #expect(!loss.isReleased && loss.parents.count == 1)
        loss.backward(retainGraph: true)
        #expect(x.grad?.scalars == [4, -8])
        (x * 3).sum().backward()                                    // a second graph adds as well
        #expect(x.grad?.scalars == [7, -5])
        x.zeroGrad()
        #expect(x.grad == nil)
        loss.backward()
        #expect(x.grad?.scalars == [2, -4])
    }

    @Test func backwardReleasesTheGraphItWalked() {
        // PyTorch's default: once a node has passed its gradient on, its rule, the tensors the
        // rule saved and its parents are dropped, so an optimizer can update a parameter in
        // place instead of copying it away from a saved reference.
        let input = Variable(Tensor(shape: [1, 2], scalars: [5, 6]))
        func squaredNorm(_ weight: Variable) -> (hidden: Variable, loss: Variable) {
            let hidden = Variable.linear(input, weight: weight, bias: nil)   // h = [17, 39]
            let squares: Variable = hidden * hidden
            return (hidden, squares.sum())
        }
        // Writing to a weight copies its storage exactly when a graph still holds it.
        func storageSurvivesAWrite(_ weight: Variable) -> Bool {
            let before = ObjectIdentifier(weight.value.storage)
            weight.value.withUnsafeMutableBufferPointer { _ in }
            return ObjectIdentifier(weight.value.storage) == before
        }

        let kept = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), requiresGrad: true)
        let keptGraph = squaredNorm(kept)
        keptGraph.loss.backward(retainGraph: true)
        #expect(!keptGraph.loss.isReleased && keptGraph.hidden.parents.count == 2)
        #expect(!storageSurvivesAWrite(kept))

        let weight = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), requiresGrad: true)
        let graph = squaredNorm(weight)
        graph.loss.backward()
        #expect(graph.loss.isReleased && graph.loss.parents.isEmpty && graph.hidden.isReleased && graph.hidden.parents.isEmpty)
        #expect(!graph.loss.isLeaf && !weight.isReleased)
        #expect(graph.loss.value.scalar == 17 * 17 + 39 * 39)       // values stay readable
        #expect(storageSurvivesAWrite(weight))
        // dL/dW = 2 h^T x, with or without the graph kept.
        #expect(weight.grad?.scalars == [170, 204, 390, 468])
        #expect(kept.grad?.scalars == weight.grad?.scalars)
    }

    @Test func sharedSubexpressionsAccumulateWithinOnePass() {
        // h = x²; L = Σ (h + h ⊙ x) = Σ x² + x³: dL/dx = 2x + 3x².
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let h = x * x
        (h + h * x).sum().backward()
        #expect(x.grad?.scalars == [5, 16])
        #expect(h.grad == nil)                                      // intermediates keep no gradient
    }

    @Test func leavesWithoutRequiresGradGetNoGradient() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let constant = Variable(Tensor(shape: [2], scalars: [3, 4]))
        (x * constant).sum().backward()
        #expect(x.grad?.scalars == [3, 4])
        #expect(constant.grad == nil)
        // An op on constants only records nothing.
        let product = constant * constant
        #expect(!product.requiresGrad && product.parents.isEmpty && product.isLeaf)
        // Backward from a constant is a no-op.
        product.sum().backward()
        #expect(constant.grad == nil)
        // Turning requiresGrad off on a leaf after recording stops its gradient.
        let frozen = Variable(Tensor(shape: [2], scalars: [1, 1]), requiresGrad: true)
        let loss = (frozen * x).sum()
        frozen.requiresGrad = false
        loss.backward()
        #expect(frozen.grad == nil)
    }

    @Test func detachCutsTheGraph() {
        // z = detach(3x) ⊙ x: dz/dx = 3x (the detached factor is a constant), not 6x.
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let detached = (x * 3).detached()
        #expect(!detached.requiresGrad && detached.parents.isEmpty)
        #expect(detached.value.scalars == [3, 6])
        (detached * x).sum().backward()
        #expect(x.grad?.scalars == [3, 6])
    }

    @Test func withoutGradientsRecordsNothing() {
        let x = Variable(Tensor(shape: [2], scalars: [1, 2]), requiresGrad: true)
        let w = Variable(Tensor(shape: [2, 2], scalars: [1, 0, 0, 1]), requiresGrad: true)
        let result = withoutGradients { () -> Variable in
            #expect(!GradientMode.isEnabled)
            return Variable.matmul(x.reshaped([1, 2]), w).softmax()
        }
        #expect(GradientMode.isEnabled)
        #expect(!result.requiresGrad)
        #expect(result.parents.isEmpty)
        #expect(result.isLeaf)
        result.sum().backward()
        #expect(x.grad == nil && w.grad == nil)
        // Recording resumes afterwards.
        let recorded = Variable.matmul(x.reshaped([1, 2]), w)
        #expect(recorded.requiresGrad && recorded.parents.count == 2)
        // withoutGradients passes results and errors through.
        struct Marker: Error {}
        #expect(throws: Marker.self) { try withoutGradients { throw Marker() } }
        #expect(withoutGradients { 41 + 1 } == 42)
    }

    @Test func nonScalarOutputsTakeASeed() {
        let x = Variable(Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), requiresGrad: true)
        let y = x * 2
        y.backward(seed: Tensor(shape: [2, 2], scalars: [1, 0, -1, 0.5]))
        #expect(x.grad?.scalars == [2, 0, -2, 1])
        // Backward from a leaf seeds its own gradient.
        let leaf = Variable(Tensor(shape: [1], scalars: [5]), requiresGrad: true)
        leaf.backward()
        #expect(leaf.grad?.scalars == [1])
    }

    @Test func deepChainsDoNotOverflowTheStack() {
        // The topological sort is iterative: a long chain (e.g. many layers) backpropagates.
        let x = Variable(Tensor(shape: [1], scalars: [1]), requiresGrad: true)
        var y = x
        for _ in 0..<10_000 { y = y + 0.001 }
        y.sum().backward()
        #expect(x.grad?.scalars == [1])
    }
}
