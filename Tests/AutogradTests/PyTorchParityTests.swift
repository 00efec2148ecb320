// Forward values and input gradients against PyTorch, from Fixtures/engine_parity.json written by
// Tests/Fixtures/make_engine_fixtures.py (float32 inputs, float64 references, loss
// L = Σ output ⊙ upstream). Forward tolerance 1e-5 and gradient tolerance 1e-4, both on
// |swift − torch| / (1 + |torch|): the Swift engine computes in Float32.
import Foundation
import Testing
import Autograd
import Tensors

private struct ParityFixture: Decodable {
    struct Values: Decodable {
        let shape: [Int]
        let data: [Double]
        var tensor: Tensor { Tensor(shape: shape, scalars: data.map { Float($0) }) }
    }
    struct Indices: Decodable {
        let shape: [Int]
        let data: [Int]
        var indexTensor: IndexTensor { IndexTensor(shape: shape, values: data.map { Int32($0) }) }
    }
    struct Case: Decodable {
        let name: String
        let inputs: [String: Values]
        let upstream: Values
        let output: Values
        let gradients: [String: Values]
        let options: [String: Double]
        let indices: [String: Indices]?
        let bias: Values?
    }
    let torch: String
    let cases: [Case]

    static let shared: ParityFixture? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/engine_parity.json")
        return try? JSONDecoder().decode(ParityFixture.self, from: Data(contentsOf: url))
    }()
}

/// The Swift computation of each fixture case from its named input variables.
private func swiftForward(_ fixture: ParityFixture.Case, _ x: [String: Variable]) throws -> Variable {
    func input(_ name: String) throws -> Variable { try #require(x[name], "case \(fixture.name) lacks input \(name)") }
    func indices(_ name: String) throws -> IndexTensor {
        try #require(fixture.indices?[name], "case \(fixture.name) lacks indices \(name)").indexTensor
    }
    func option(_ name: String) throws -> Double { try #require(fixture.options[name], "case \(fixture.name) lacks option \(name)") }
    switch fixture.name {
    case "linear":
        return Variable.linear(try input("x"), weight: try input("weight"), bias: try input("bias"))
    case "matmul_batched":
        return Variable.matmul(try input("a"), try input("b"))
    case "softmax":
        return try input("x").softmax()
    case "log_softmax":
        return try input("x").logSoftmax()
    case "layer_norm":
        return Variable.layerNorm(try input("x"), weight: try input("weight"), bias: try input("bias"),
                                  epsilon: Float(try option("epsilon")))
    case "rms_norm":
        return Variable.rmsNorm(try input("x"), weight: try input("weight"), epsilon: Float(try option("epsilon")))
    case "gelu":
        return try input("x").gelu()
    case "silu":
        return try input("x").silu()
    case "embedding":
        return Variable.embedding(try input("table"), ids: try indices("ids"))
    case "cross_entropy":
        return Variable.crossEntropy(logits: try input("logits"), targets: try indices("targets"),
                                     ignoreIndex: Int32(try option("ignoreIndex")))
    case "conv2d":
        return Variable.conv2d(try input("input"), weight: try input("weight"), bias: try input("bias"),
                               stride: Int(try option("stride")), padding: Int(try option("padding")))
    case "attention_causal":
        return Variable.scaledDotProductAttention(query: try input("query"), key: try input("key"),
                                                  value: try input("value"), mask: .causal())
    case "attention_additive_mask":
        // The fixture stores the finite bias and which entries are −∞.
        var bias = try #require(fixture.bias).tensor
        let masked = try indices("masked")
        bias.withUnsafeMutableBufferPointer { values in
            for (i, flag) in masked.values.enumerated() where flag != 0 { values[i] = -.infinity }
        }
        return Variable.scaledDotProductAttention(query: try input("query"), key: try input("key"),
                                                  value: try input("value"), mask: AttentionMask(bias: bias))
    case "attention_gqa_causal_offset":
        return Variable.scaledDotProductAttention(query: try input("query"), key: try input("key"),
                                                  value: try input("value"),
                                                  mask: .causal(offset: Int(try option("causalOffset"))))
    case "rotary":
        return try input("x").rotaryEmbedding(offset: Int(try option("offset")), base: Float(try option("base")))
    default:
        throw ParityError(description: "unknown fixture case \(fixture.name)")
    }
}

private struct ParityError: Error, CustomStringConvertible { let description: String }

/// The cases the fixture must contain (a regenerated fixture that drops one fails here).
private let expectedCases = [
    "linear", "matmul_batched", "softmax", "log_softmax", "layer_norm", "rms_norm", "gelu", "silu", "embedding",
    "cross_entropy", "conv2d", "attention_causal", "attention_additive_mask", "attention_gqa_causal_offset", "rotary",
]

@Suite("PyTorch parity")
struct PyTorchParityTests {
    @Test func fixtureHoldsEveryCase() throws {
        let fixture = try #require(ParityFixture.shared, "Fixtures/engine_parity.json missing or unreadable")
        #expect(fixture.cases.map(\.name).sorted() == expectedCases.sorted())
    }

    @Test(arguments: expectedCases)
    func forwardAndGradientsMatchPyTorch(name: String) throws {
        let fixture = try #require(ParityFixture.shared, "Fixtures/engine_parity.json missing or unreadable")
        let testCase = try #require(fixture.cases.first { $0.name == name }, "no case \(name) in the fixture")
        let variables = testCase.inputs.mapValues { Variable($0.tensor, requiresGrad: true) }
        let output = try swiftForward(testCase, variables)

        let expectedOutput = testCase.output.tensor
        #expect(output.shape == expectedOutput.shape, "\(name) output shape")
        let forwardError = maxRelativeDifference(output.value.scalars, expectedOutput.scalars)
        #expect(forwardError <= 1e-5, "\(name): forward differs from torch \(fixture.torch) by \(forwardError)")

        output.backward(seed: testCase.upstream.tensor)
        for (inputName, expected) in testCase.gradients {
            let gradient = try #require(variables[inputName]?.grad, "\(name): no gradient for \(inputName)")
            #expect(gradient.shape == expected.shape, "\(name): gradient shape of \(inputName)")
            let gradientError = maxRelativeDifference(gradient.scalars, expected.tensor.scalars)
            #expect(gradientError <= 1e-4, "\(name): d/d\(inputName) differs from torch by \(gradientError)")
        }
    }
}
