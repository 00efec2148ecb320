// Layers against PyTorch: each case of Fixtures/nn_layers.json was produced by the same layer
// in PyTorch (float64) from the same float32 weights and input (Tests/Fixtures/make_nn_fixtures.py).
// Weights are loaded by their PyTorch state_dict names, so the test also proves the naming.
// Loss L = sum(output * upstream); compared: output, dL/dinput, dL/dparameter.

import Autograd
import Foundation
import Testing
import Tensors
@testable import NN

/// One layer case of nn_layers.json.
struct LayerCase: Decodable {
    struct Options: Decodable {
        let `in`: Int?
        let out: Int?
        let bias: Bool?
        let vocabulary: Int?
        let dimension: Int?
        let hidden: Int?
        let epsilon: Float?
        let heads: Int?
        let kv_heads: Int?
        let rotary_base: Float?
        let causal: Bool?
    }
    let name: String
    let options: Options
    let parameters: [String: TensorFixture]
    let input: TensorFixture?
    let ids: IndexFixture?
    let upstream: TensorFixture
    let output: TensorFixture
    let input_grad: TensorFixture?
    let parameter_grads: [String: TensorFixture]
}

struct LayerFixtures: Decodable {
    let cases: [LayerCase]
}

/// The case named `name` from the layer fixtures.
func layerCase(_ name: String) throws -> LayerCase {
    let fixtures = try loadFixture("nn_layers.json", as: LayerFixtures.self)
    return try #require(fixtures.cases.first { $0.name == name }, "no case \(name) in nn_layers.json")
}

@Suite struct LayerParityTests {
    // Float32 forward against a float64 reference: a few ulps of accumulated rounding.
    static let forwardTolerance: (absolute: Float, relative: Float) = (1e-5, 1e-5)
    static let gradientTolerance: (absolute: Float, relative: Float) = (2e-5, 1e-4)

    /// Loads the fixture weights (strictly: every parameter must be named as in PyTorch), runs
    /// `forward`, back-propagates the upstream gradient and compares everything.
    func check(_ module: Module, _ fixture: LayerCase, input: Variable?, forward: () -> Variable) throws {
        try module.load(ParameterSet(fixture.parameters.map { ($0.key, $0.value.tensor) }), strict: true)
        #expect(Set(module.namedParameters().map(\.0)) == Set(fixture.parameters.keys), "\(fixture.name): parameter names")
        let output = forward()
        expectClose(output.value, fixture.output.tensor, absolute: Self.forwardTolerance.absolute,
                    relative: Self.forwardTolerance.relative, "\(fixture.name) output")
        output.backward(seed: fixture.upstream.tensor)
        if let expected = fixture.input_grad, let input {
            let gradient = try #require(input.grad, "\(fixture.name): no input gradient")
            expectClose(gradient, expected.tensor, absolute: Self.gradientTolerance.absolute,
                        relative: Self.gradientTolerance.relative, "\(fixture.name) input gradient")
        }
        let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters())
        for (name, expected) in fixture.parameter_grads {
            let gradient = try #require(parameters[name]?.grad, "\(fixture.name): no gradient for \(name)")
            expectClose(gradient, expected.tensor, absolute: Self.gradientTolerance.absolute,
                        relative: Self.gradientTolerance.relative, "\(fixture.name) gradient of \(name)")
        }
    }

    func inputVariable(_ fixture: LayerCase) throws -> Variable {
        Variable(try #require(fixture.input).tensor, requiresGrad: true)
    }

    @Test(arguments: ["linear", "linear_no_bias"])
    func linear(_ name: String) throws {
        let fixture = try layerCase(name)
        var generator = RandomGenerator(seed: 0)
        let layer = Linear(fixture.options.in!, fixture.options.out!, bias: fixture.options.bias!, generator: &generator)
        let x = try inputVariable(fixture)
        try check(layer, fixture, input: x) { layer(x) }
    }

    @Test func embedding() throws {
        let fixture = try layerCase("embedding")
        var generator = RandomGenerator(seed: 0)
        let layer = Embedding(fixture.options.vocabulary!, fixture.options.dimension!, generator: &generator)
        let ids = try #require(fixture.ids).indices
        try check(layer, fixture, input: nil) { layer(ids) }
    }

    @Test func layerNorm() throws {
        let fixture = try layerCase("layer_norm")
        let layer = LayerNorm(fixture.options.dimension!, epsilon: fixture.options.epsilon!)
        let x = try inputVariable(fixture)
        try check(layer, fixture, input: x) { layer(x) }
    }

    @Test func rmsNorm() throws {
        let fixture = try layerCase("rms_norm")
        let layer = RMSNorm(fixture.options.dimension!, epsilon: fixture.options.epsilon!)
        let x = try inputVariable(fixture)
        try check(layer, fixture, input: x) { layer(x) }
    }

    @Test func swiGLU() throws {
        let fixture = try layerCase("swiglu")
        var generator = RandomGenerator(seed: 0)
        let layer = SwiGLU(dimension: fixture.options.dimension!, hiddenDimension: fixture.options.hidden!, generator: &generator)
        let x = try inputVariable(fixture)
        try check(layer, fixture, input: x) { layer(x) }
    }

    /// Llama-style (GQA 4/2, rotary, causal, no bias) and ViT-style (bias, no rotary, no mask).
    @Test(arguments: ["attention_llama", "attention_vit"])
    func multiHeadAttention(_ name: String) throws {
        let fixture = try layerCase(name)
        let options = fixture.options
        var generator = RandomGenerator(seed: 0)
        let layer = MultiHeadAttention(dimension: options.dimension!, heads: options.heads!, keyValueHeads: options.kv_heads!,
                                       bias: options.bias!, rotaryBase: options.rotary_base, generator: &generator)
        let x = try inputVariable(fixture)
        try check(layer, fixture, input: x) { layer(x, mask: options.causal! ? .causal() : .none) }
    }
}

@Suite struct KVCacheTests {
    /// Decoding step by step with a KV cache gives the rows of the full causal pass.
    @Test func incrementalDecodingMatchesTheFullCausalPass() throws {
        let fixture = try layerCase("attention_llama")
        var generator = RandomGenerator(seed: 0)
        let layer = MultiHeadAttention(dimension: 16, heads: 4, keyValueHeads: 2, generator: &generator)
        try layer.load(ParameterSet(fixture.parameters.map { ($0.key, $0.value.tensor) }), strict: true)
        let x = Tensor.randomNormal([2, 7, 16], using: &generator)
        let full = withoutGradients { layer(Variable(x), mask: .causal()).value }

        let cache = KVCache(layers: 1)
        var pieces: [Tensor] = []
        // A two-token prompt first, then one token at a time.
        var position = 0
        for chunk in [2, 1, 1, 1, 1, 1] {
            let step = x.sliced(axis: 1, position..<(position + chunk))
            pieces.append(withoutGradients { layer(Variable(step), mask: .causal(), cache: cache).value })
            position += chunk
            #expect(cache.length == position)
        }
        let incremental = Tensor.concatenate(pieces, axis: 1)
        expectClose(incremental, full, absolute: 1e-5, relative: 0, "incremental vs full attention")
        #expect(cache.keys[0]?.shape == [2, 2, 7, 4])
    }

    /// Past the cache's first capacity (16 positions) the buffers grow (to 32, then 64): a
    /// 10-token prompt and 30 single tokens still give the rows of the full causal pass, with one
    /// key head (its planes spaced by the batch stride) and a batch of 2.
    @Test func growingCacheMatchesTheFullCausalPass() {
        var generator = RandomGenerator(seed: 6)
        let layer = MultiHeadAttention(dimension: 8, heads: 2, keyValueHeads: 1, generator: &generator)
        let x = Tensor.randomNormal([2, 40, 8], using: &generator)
        let full = withoutGradients { layer(Variable(x), mask: .causal()).value }
        let cache = KVCache(layers: 1)
        var pieces: [Tensor] = []
        var position = 0
        for chunk in [10] + Array(repeating: 1, count: 30) {
            pieces.append(withoutGradients {
                layer(Variable(x.sliced(axis: 1, position..<(position + chunk))), mask: .causal(), cache: cache).value
            })
            position += chunk
        }
        expectClose(Tensor.concatenate(pieces, axis: 1), full, absolute: 1e-5, relative: 0, "incremental past the capacity")
        #expect(cache.length == 40 && cache.keys[0]?.shape == [2, 1, 40, 4] && cache.values[0]?.shape == [2, 1, 40, 4])
    }

    /// Two stacked layers sharing one cache: the second layer's positions must start after its
    /// own cached keys, not after layer 0's (which already holds this step's keys). A uniform
    /// position shift would cancel in rotary scores, so a multi-token prompt comes first: with a
    /// wrong offset its causal mask would let prompt tokens see later ones.
    @Test func stackedLayersShareOneCache() {
        var generator = RandomGenerator(seed: 5)
        let layers = (0..<2).map { _ in MultiHeadAttention(dimension: 8, heads: 2, keyValueHeads: 1, generator: &generator) }
        let x = Tensor.randomNormal([1, 5, 8], using: &generator)
        func stack(_ input: Variable, cache: KVCache?) -> Variable {
            layers.enumerated().reduce(input) { hidden, layer in
                layer.element(hidden, mask: .causal(), cache: cache, layerIndex: layer.offset)
            }
        }
        let full = withoutGradients { stack(Variable(x), cache: nil).value }
        let cache = KVCache(layers: 2)
        let chunks = [0..<3, 3..<4, 4..<5]
        let pieces = chunks.map { range in
            withoutGradients { stack(Variable(x.sliced(axis: 1, range)), cache: cache).value }
        }
        expectClose(Tensor.concatenate(pieces, axis: 1), full, absolute: 1e-5, relative: 0, "two-layer incremental vs full")
        #expect(cache.keys[1]?.shape == [1, 1, 5, 4])
    }
}
