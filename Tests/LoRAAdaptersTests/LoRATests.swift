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

    @Test func scaleIsAlphaOverRank() throws {
        let stack = Stack(seed: 1)
        try LoRA.apply(to: stack, configuration: LoRAConfiguration(rank: 4, alpha: 16), seed: 1)
        #expect(LoRA.adapters(in: stack).allSatisfy { $0.1.scale == 4 })
        let adapter = LoRA.adapters(in: stack)[0].1
        #expect(adapter.loraA.shape == [4, 8] && adapter.loraB.shape == [8, 4])
        #expect(adapter.loraB.value == .zeros([8, 4]))
    }
}
