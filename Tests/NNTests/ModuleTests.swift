// Module tree behaviour: checkpoint names, loading, freezing, train/eval mode, dropout.

import Autograd
import Foundation
import Testing
import Tensors
@testable import NN

// MARK: - Small modules for the tests

/// A low-rank adapter in the LoRA shape (delta = x Aᵀ Bᵀ), written here so the naming test
/// does not depend on the LoRA target. Default naming turns `loraA` into `lora_a`.
final class TestLowRankAdapter: LinearAdapter {
    let loraA: Variable   // [rank, in]
    let loraB: Variable   // [out, rank]
    init(inFeatures: Int, outFeatures: Int, rank: Int, generator: inout RandomGenerator) {
        loraA = Variable(.randomNormal([rank, inFeatures], using: &generator), requiresGrad: true)
        loraB = Variable(.randomNormal([outFeatures, rank], using: &generator), requiresGrad: true)
    }
    override func delta(_ x: Variable) -> Variable {
        Variable.linear(Variable.linear(x, weight: loraA, bias: nil), weight: loraB, bias: nil)
    }
}

/// The same adapter with PEFT's capitalised names, through `key(forProperty:)`.
final class CapitalisedAdapter: LinearAdapter {
    let loraA: Variable
    let loraB: Variable
    override init() {
        loraA = Variable(.ones([1, 3]), requiresGrad: true)
        loraB = Variable(.zeros([2, 1]), requiresGrad: true)
    }
    override func key(forProperty name: String) -> String { name == "loraA" ? "lora_A" : name == "loraB" ? "lora_B" : name }
    override func delta(_ x: Variable) -> Variable {
        Variable.linear(Variable.linear(x, weight: loraA, bias: nil), weight: loraB, bias: nil)
    }
}

/// One decoder block with Llama names.
final class TestBlock: Module {
    let inputLayernorm: RMSNorm
    let selfAttn: MultiHeadAttention
    let postAttentionLayernorm: RMSNorm
    let mlp: SwiGLU
    let dropout: Dropout
    init(width: Int, seed: UInt64, generator: inout RandomGenerator) {
        inputLayernorm = RMSNorm(width)
        selfAttn = MultiHeadAttention(dimension: width, heads: 2, keyValueHeads: 1, generator: &generator)
        postAttentionLayernorm = RMSNorm(width)
        mlp = SwiGLU(dimension: width, hiddenDimension: 2 * width, generator: &generator)
        dropout = Dropout(rate: 0.1, seed: seed)
    }
}

/// A tiny language-model-shaped tree: embedding, an array of blocks, norm, head, plus
/// properties that must stay out of the parameter tree.
final class TestModel: Module {
    let embedTokens: Embedding
    let layers: [TestBlock]
    let finalNorm: LayerNorm
    let lmHead: Linear
    let missingModule: Linear? = nil
    let _scratch: Variable
    let sharedTable: Embedding
    let vocabularySize = 11

    init(seed: UInt64) {
        var generator = RandomGenerator(seed: seed)
        embedTokens = Embedding(11, 4, generator: &generator)
        layers = (0..<2).map { TestBlock(width: 4, seed: seed &+ UInt64($0), generator: &generator) }
        finalNorm = LayerNorm(4)
        lmHead = Linear(4, 11, bias: false, generator: &generator)
        _scratch = Variable(.zeros([3]), requiresGrad: true)
        sharedTable = embedTokens
    }
    override var excludedProperties: Set<String> { ["sharedTable"] }
}

// MARK: - Naming

@Suite struct ModuleNamingTests {
    @Test func snakeCaseConvertsCamelCase() {
        #expect(Module.snakeCase("qProj") == "q_proj")
        #expect(Module.snakeCase("postAttentionLayernorm") == "post_attention_layernorm")
        #expect(Module.snakeCase("lmHead") == "lm_head")
        #expect(Module.snakeCase("weight") == "weight")
        #expect(Module.snakeCase("loraA") == "lora_a")
    }

    @Test func nestedModulesAndArraysGetDottedCheckpointNames() {
        let model = TestModel(seed: 1)
        var expected = ["embed_tokens.weight"]
        for layer in 0..<2 {
            let prefix = "layers.\(layer)."
            expected += ["input_layernorm.weight",
                         "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight", "self_attn.o_proj.weight",
                         "post_attention_layernorm.weight",
                         "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight"].map { prefix + $0 }
        }
        expected += ["final_norm.weight", "final_norm.bias", "lm_head.weight"]
        // `_scratch` (underscore), `sharedTable` (excluded) and the nil `missingModule` are absent.
        #expect(model.namedParameters().map(\.0) == expected)
        #expect(model.parameterSet().names == expected)
    }

    @Test func namedModulesListsPathsWithTheRootFirst() {
        let paths = TestModel(seed: 1).namedModules().map(\.0)
        #expect(paths.first == "")
        #expect(paths.contains("layers.1.self_attn.q_proj"))
        #expect(paths.contains("layers.0.dropout"))
        #expect(!paths.contains("shared_table"))
        #expect(Set(paths).count == paths.count)
    }

    @Test func linearAdapterParametersSitBesideTheWrappedWeight() {
        var generator = RandomGenerator(seed: 7)
        let proj = Linear(3, 2, generator: &generator)
        let holder = AdapterHolder(proj: proj)
        #expect(holder.namedParameters().map(\.0) == ["proj.weight", "proj.bias"])
        proj.adapter = TestLowRankAdapter(inFeatures: 3, outFeatures: 2, rank: 2, generator: &generator)
        #expect(holder.namedParameters().map(\.0) == ["proj.weight", "proj.bias", "proj.lora_a", "proj.lora_b"])
        proj.adapter = CapitalisedAdapter()
        #expect(holder.namedParameters().map(\.0) == ["proj.weight", "proj.bias", "proj.lora_A", "proj.lora_B"])
    }

    @Test func adapterOutputIsAddedToTheLinearOutput() {
        var generator = RandomGenerator(seed: 8)
        let proj = Linear(3, 2, generator: &generator)
        let x = Variable(.randomNormal([4, 3], using: &generator))
        let plain = proj(x).value
        let adapter = TestLowRankAdapter(inFeatures: 3, outFeatures: 2, rank: 2, generator: &generator)
        proj.adapter = adapter
        expectClose(proj(x).value, plain + adapter.delta(x).value, absolute: 1e-6, relative: 1e-6, "adapted output")
    }

    @Test func parameterCountsFollowFreezing() {
        let model = TestModel(seed: 2)
        let total = model.namedParameters().reduce(0) { $0 + $1.1.value.scalarCount }
        #expect(model.parameterCount() == total)
        #expect(model.parameterCount(trainableOnly: true) == total)
        model.freeze(where: { $0.hasPrefix("layers.") })
        let frozen = model.namedParameters().filter { $0.0.hasPrefix("layers.") }.reduce(0) { $0 + $1.1.value.scalarCount }
        #expect(model.parameterCount(trainableOnly: true) == total - frozen)
    }
}

/// Holds one Linear under the name `proj`.
final class AdapterHolder: Module {
    let proj: Linear
    init(proj: Linear) { self.proj = proj }
}

// MARK: - Loading

@Suite struct ModuleLoadingTests {
    @Test func loadCopiesValuesByName() throws {
        let source = TestModel(seed: 3), target = TestModel(seed: 4)
        #expect(source.parameterSet() != target.parameterSet())
        try target.load(source.parameterSet(), strict: true)
        #expect(source.parameterSet() == target.parameterSet())
    }

    @Test func partialLoadChangesOnlyTheGivenNames() throws {
        let target = TestModel(seed: 5)
        let before = target.parameterSet()
        let replacement = Tensor(repeating: 0.25, shape: [11, 4])
        try target.load(ParameterSet([("lm_head.weight", replacement)]))
        let after = target.parameterSet()
        #expect(after["lm_head.weight"] == replacement)
        #expect(after.filter { $0 != "lm_head.weight" } == before.filter { $0 != "lm_head.weight" })
    }

    @Test func unknownNameThrowsAndNamesIt() {
        let model = TestModel(seed: 6)
        let before = model.parameterSet()
        let set = ParameterSet([("lm_head.weight", Tensor.zeros([11, 4])), ("layers.7.mlp.up_proj.weight", Tensor.zeros([8, 4]))])
        do {
            try model.load(set)
            Issue.record("expected an error for an unknown name")
        } catch {
            #expect("\(error)".contains("layers.7.mlp.up_proj.weight"))
        }
        // Validation happens before any copy: the valid entry was not applied either.
        #expect(model.parameterSet() == before)
    }

    @Test func wrongShapeThrowsWithNameAndBothShapes() {
        let model = TestModel(seed: 6)
        do {
            try model.load(ParameterSet([("final_norm.weight", Tensor.zeros([5]))]))
            Issue.record("expected a shape error")
        } catch {
            let message = "\(error)"
            #expect(message.contains("final_norm.weight") && message.contains("[4]") && message.contains("[5]"))
        }
    }

    @Test func strictLoadReportsMissingParameters() throws {
        let model = TestModel(seed: 6)
        let partial = model.parameterSet().filter { $0 != "final_norm.bias" }
        try model.load(partial, strict: false)
        do {
            try model.load(partial, strict: true)
            Issue.record("expected a missing-parameter error")
        } catch {
            #expect("\(error)".contains("final_norm.bias"))
        }
    }
}

// MARK: - Freezing and modes

@Suite struct ModuleStateTests {
    @Test func freezeAndUnfreezeSelectByName() {
        let model = TestModel(seed: 9)
        model.freeze()
        #expect(model.trainableParameters().isEmpty)
        model.unfreeze(where: { $0.hasSuffix("lm_head.weight") || $0.contains(".mlp.") })
        let trainable = model.trainableParameters().map(\.0)
        #expect(trainable.contains("lm_head.weight"))
        #expect(trainable.filter { $0.contains(".mlp.") }.count == 6)
        #expect(trainable.count == 7)
        model.unfreeze()
        #expect(model.trainableParameters().count == model.namedParameters().count)
    }

    @Test func frozenParametersReceiveNoGradient() {
        var generator = RandomGenerator(seed: 10)
        let proj = Linear(3, 2, generator: &generator)
        let holder = AdapterHolder(proj: proj)
        proj.adapter = TestLowRankAdapter(inFeatures: 3, outFeatures: 2, rank: 2, generator: &generator)
        holder.freeze(where: { !$0.contains("lora") })
        let x = Variable(.randomNormal([5, 3], using: &generator))
        proj(x).sum().backward()
        let gradients = Dictionary(uniqueKeysWithValues: holder.namedParameters().map { ($0.0, $0.1.grad) })
        #expect(gradients["proj.weight"]! == nil && gradients["proj.bias"]! == nil)
        #expect(gradients["proj.lora_a"]! != nil && gradients["proj.lora_b"]! != nil)
        holder.zeroGradients()
        #expect(holder.namedParameters().allSatisfy { $0.1.grad == nil })
    }

    @Test func trainAndEvalReachEveryModule() {
        let model = TestModel(seed: 11)
        #expect(model.namedModules().allSatisfy { $0.1.isTraining })
        model.eval()
        #expect(model.namedModules().allSatisfy { !$0.1.isTraining })
        #expect(!model.layers[1].dropout.isTraining && !model.layers[0].selfAttn.qProj.isTraining)
        model.train()
        #expect(model.namedModules().allSatisfy { $0.1.isTraining })
    }
}

// MARK: - Dropout

@Suite struct DropoutTests {
    @Test func evaluationModeIsIdentity() {
        var generator = RandomGenerator(seed: 12)
        let x = Variable(.randomNormal([4, 5], using: &generator))
        let dropout = Dropout(rate: 0.5, seed: 1)
        dropout.eval()
        #expect(dropout(x).value == x.value)
    }

    @Test func trainingZeroesAboutRateAndScalesTheRest() {
        let dropout = Dropout(rate: 0.25, seed: 2)
        let y = dropout(Variable(.ones([4000]))).value.scalars
        let zeros = y.filter { $0 == 0 }.count
        #expect(y.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
        // 4000 Bernoulli(0.25) draws: mean 1000, standard deviation about 27.
        #expect(abs(zeros - 1000) < 120)
    }

    @Test func masksAreSeededAndReseedRestartsTheStream() {
        let x = Variable(.ones([64]))
        let first = Dropout(rate: 0.5, seed: 42), second = Dropout(rate: 0.5, seed: 42), other = Dropout(rate: 0.5, seed: 43)
        let a1 = first(x).value, a2 = first(x).value
        #expect(a1 == second(x).value)
        #expect(a2 == second(x).value)
        #expect(a1 != a2)                    // the stream advances between calls
        #expect(a1 != other(x).value)
        first.reseed(42)
        #expect(first(x).value == a1)
    }

    @Test func gradientFollowsTheMask() {
        let x = Variable(Tensor(shape: [32], scalars: (0..<32).map { Float($0) }), requiresGrad: true)
        let dropout = Dropout(rate: 0.5, seed: 3)
        let y = dropout(x)
        y.sum().backward()
        let mask = y.value.scalars.enumerated().map { $0.offset == 0 ? Float.nan : $0.element / Float($0.offset) }
        for (index, gradient) in x.grad!.scalars.enumerated() where index > 0 {
            #expect(abs(gradient - mask[index]) < 1e-6)
        }
    }

    @Test func reseedRandomnessGivesEachDropoutItsOwnStream() {
        let model = TestModel(seed: 13), copy = TestModel(seed: 13)
        model.reseedRandomness(99)
        copy.reseedRandomness(99)
        let x = Variable(.ones([2, 16]))
        let first = model.layers[0].dropout(x).value, second = model.layers[1].dropout(x).value
        #expect(first == copy.layers[0].dropout(x).value)
        #expect(first != second)
    }
}
