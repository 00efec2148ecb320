import Autograd
import LoRAAdapters
import NN
import Tensors
import Testing

/// A two-layer stack to adapt: `blocks.0.q_proj`, `blocks.0.v_proj`, ..., `lm_head`.
final class Block: Module {
    let qProj: Linear
    let vProj: Linear
    init(generator: inout RandomGenerator) {
        qProj = Linear(8, 8, bias: false, generator: &generator)
        vProj = Linear(8, 8, bias: false, generator: &generator)
    }
}

final class Stack: Module {
    let blocks: [Block]
    let lmHead: Linear
    init(seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        blocks = (0..<2).map { _ in Block(generator: &generator) }
        lmHead = Linear(8, 4, bias: false, generator: &generator)
    }
    func callAsFunction(_ x: Variable) -> Variable {
        var h = x
        for block in blocks { h = block.vProj(block.qProj(h)) }
        return lmHead(h)
    }
}

@Suite struct LoRATests {
    @Test func targetsByNameAndRegexAndExcludesTheHead() throws {
        let stack = Stack(seed: 1)
        let all = try LoRA.apply(to: stack, configuration: LoRAConfiguration(), seed: 2)
        #expect(all == ["blocks.0.q_proj", "blocks.0.v_proj", "blocks.1.q_proj", "blocks.1.v_proj"])
        let other = Stack(seed: 1)
        let some = try LoRA.apply(to: other, configuration: LoRAConfiguration(targetModules: ["re:blocks\\.1\\..*", "q_proj"]), seed: 2)
        #expect(some == ["blocks.0.q_proj", "blocks.1.q_proj", "blocks.1.v_proj"])
        // Only adapters train after apply.
        #expect(other.trainableParameters().map(\.0).allSatisfy(LoRA.isAdapterParameter))
        #expect(throws: LoRAError.self) { try LoRA.apply(to: Stack(seed: 1), configuration: LoRAConfiguration(targetModules: ["k_proj"]), seed: 2) }
        #expect(throws: LoRAError.self) { try LoRA.apply(to: Stack(seed: 1), configuration: LoRAConfiguration(targetModules: ["re:("]), seed: 2) }
    }

    @Test func adapterWeightsTravelAlone() throws {
        let source = Stack(seed: 1), target = Stack(seed: 1)
        try LoRA.apply(to: source, configuration: LoRAConfiguration(dropout: 0), seed: 3)
        try LoRA.apply(to: target, configuration: LoRAConfiguration(dropout: 0), seed: 4)
        var generator = RandomGenerator(seed: 5)
        for (_, adapter) in LoRA.adapters(in: source) {
            adapter.loraB.value = .randomNormal(adapter.loraB.shape, std: 0.1, using: &generator)
        }
        let adapters = LoRA.adapterParameters(of: source)
        #expect(adapters.count == 8 && adapters.names.allSatisfy(LoRA.isAdapterParameter))
        try LoRA.loadAdapterParameters(adapters, into: target)
        let x = Variable(.randomNormal([3, 8], using: &generator))
        #expect(source(x).value == target(x).value)
        #expect(throws: LoRAError.self) { try LoRA.loadAdapterParameters(source.parameterSet { $0 == "lm_head.weight" }, into: target) }
    }

    /// The adapted layer's fused forward and backward (`LoRAAdapter.output`) agree with the
    /// composition base + delta, dropout included: both draw the same masks from the adapter's stream.
    @Test func fusedAdaptedLayerMatchesBasePlusDelta() throws {
        let fused = Stack(seed: 1), composed = Stack(seed: 1)
        let configuration = LoRAConfiguration(rank: 2, alpha: 8, dropout: 0.25)
        try LoRA.apply(to: fused, configuration: configuration, seed: 6)
        try LoRA.apply(to: composed, configuration: configuration, seed: 6)
        var generator = RandomGenerator(seed: 7)
        for ((_, a), (_, b)) in zip(LoRA.adapters(in: fused), LoRA.adapters(in: composed)) {
            a.loraB.value = .randomNormal(a.loraB.shape, std: 0.5, using: &generator)
            b.loraB.value = a.loraB.value
        }
        let x = Tensor.randomNormal([2, 3, 8], using: &generator), upstream = Tensor.randomNormal([2, 3, 4], using: &generator)
        func composition(_ stack: Stack, _ input: Variable) -> Variable {
            var h = input
            for block in stack.blocks {
                for layer in [block.qProj, block.vProj] {
                    h = Variable.linear(h, weight: layer.weight, bias: nil) + layer.adapter!.delta(h)
                }
            }
            return stack.lmHead(h)
        }
        let fusedOutput = fused(Variable(x)), composedOutput = composition(composed, Variable(x))
        fusedOutput.backward(seed: upstream)
        composedOutput.backward(seed: upstream)
        func close(_ a: Tensor, _ b: Tensor) -> Bool {
            a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { Swift.abs($0 - $1) <= 1e-5 * (1 + Swift.abs($1)) }
        }
        #expect(close(fusedOutput.value, composedOutput.value))
        for ((name, a), (_, b)) in zip(fused.trainableParameters(), composed.trainableParameters()) {
            #expect(close(a.grad!, b.grad!), "gradient of \(name)")
        }
        // In evaluation mode no mask is drawn and the layer is deterministic.
        fused.eval()
        #expect(fused(Variable(x)).value == fused(Variable(x)).value)
    }

    @Test func scaleIsAlphaOverRank() throws {
        let stack = Stack(seed: 1)
        try LoRA.apply(to: stack, configuration: LoRAConfiguration(rank: 4, alpha: 16), seed: 1)
        #expect(LoRA.adapters(in: stack).allSatisfy { $0.1.scale == 4 })
        let adapter = LoRA.adapters(in: stack)[0].1
        #expect(adapter.loraA.shape == [4, 8] && adapter.loraB.shape == [8, 4])
        #expect(adapter.loraB.value == .zeros([8, 4]))
    }
}
