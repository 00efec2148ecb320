import Autograd
import Foundation
import Models
import NN
import Tensors
import Testing

/// A Llama-style decoder block and a CLIP-style ViT block against PyTorch (float64 references
/// from Tests/Fixtures/make_block_fixtures.py): output, input gradient and every weight gradient.
@Suite struct BlockParityTests {
    struct Fixture: Decodable {
        struct Array: Decodable { let shape: [Int]; let values: [Float] }
        struct Case: Decodable {
            let name: String
            let input: Array
            let output: Array
            let probe: [Float]
            let input_grad: [Float]
            let parameters: [String: Array]
            let parameter_grads: [String: [Float]]
        }
        let cases: [Case]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/blocks.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    func check(_ name: String, module: Module, forward: (Variable) -> Variable) throws {
        let testCase = try #require(Self.fixture.cases.first { $0.name == name })
        try module.load(ParameterSet(testCase.parameters.map { ($0.key, Tensor(shape: $0.value.shape, scalars: $0.value.values)) }),
                        strict: true)
        let x = Variable(Tensor(shape: testCase.input.shape, scalars: testCase.input.values), requiresGrad: true)
        let y = forward(x)
        #expect(y.shape == testCase.output.shape)
        let forwardError = zip(y.value.scalars, testCase.output.values).map { abs($0 - $1) }.max()!
        #expect(forwardError < 1e-4, "\(name) forward error \(forwardError)")
        (y * Variable(Tensor(shape: y.shape, scalars: testCase.probe))).sum().backward()
        let inputError = zip(x.grad!.scalars, testCase.input_grad).map { abs($0 - $1) }.max()!
        #expect(inputError < 1e-4, "\(name) input gradient error \(inputError)")
        let parameters = Dictionary(uniqueKeysWithValues: module.namedParameters())
        for (parameterName, expected) in testCase.parameter_grads {
            let gradient = try #require(parameters[parameterName]?.grad, "\(name): no gradient for \(parameterName)")
            let error = zip(gradient.scalars, expected).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            #expect(error < 1e-4, "\(name) \(parameterName) gradient error \(error)")
        }
    }

    @Test func llamaDecoderBlockMatchesPyTorch() throws {
        let config = LanguageModelConfig(vocabularySize: 8, dimension: 16, layers: 1, heads: 4, keyValueHeads: 2,
                                         hiddenDimension: 32, maxSequenceLength: 8)
        var generator = RandomGenerator(seed: 1)
        let block = DecoderLayer(config: config, generator: &generator)
        try check("llama_block", module: block) { block($0, mask: .causal(), cache: nil, layerIndex: 0) }
    }

    @Test func vitBlockMatchesPyTorch() throws {
        let config = VisionEncoderConfig(imageSize: 8, patchSize: 4, dimension: 16, layers: 2, heads: 4, mlpDimension: 32)
        var generator = RandomGenerator(seed: 1)
        let block = VisionEncoderLayer(config: config, generator: &generator)
        try check("vit_block", module: block) { block($0) }
    }
}
