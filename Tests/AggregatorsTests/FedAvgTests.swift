// FedAvg and FedProx on tiny vectors, two rounds, values computed by hand.
//
// Scenario used throughout (TestSupport.tinyGlobal: a = [1, 2], b = [0]):
//   round 1: client 1 (n = 1) delta a [2, 0] b [1];  client 2 (n = 3) delta a [0, 4] b [-1]
//            weighted mean delta: a [0.5, 3], b [-0.5]
//   round 2: client 1 (n = 3) delta a [1, 0] b [0];  client 2 (n = 1) delta a [0, -2] b [1]
//            weighted mean delta: a [0.75, -0.5], b [0.25]
import Testing
import Tensors
@testable import Aggregators

/// Round 1 of the tiny scenario.
func tinyRoundOne(_ global: ParameterSet) -> [ClientUpdate] {
    [client(1, global, delta: ["a": [2, 0], "b": [1]], samples: 1, steps: 2),
     client(2, global, delta: ["a": [0, 4], "b": [-1]], samples: 3, steps: 4)]
}

/// Round 2 of the tiny scenario.
func tinyRoundTwo(_ global: ParameterSet) -> [ClientUpdate] {
    [client(1, global, delta: ["a": [1, 0], "b": [0]], samples: 3, steps: 2),
     client(2, global, delta: ["a": [0, -2], "b": [1]], samples: 1, steps: 2)]
}

/// Runs the two tiny rounds and returns the global set after each.
func runTinyRounds(_ aggregator: any Aggregator) throws -> (ParameterSet, ParameterSet) {
    let first = try aggregator.aggregate(global: tinyGlobal, updates: tinyRoundOne(tinyGlobal), failures: [],
                                         context: roundContext(1, of: 2))
    let second = try aggregator.aggregate(global: first, updates: tinyRoundTwo(first), failures: [],
                                          context: roundContext(2, of: 2))
    return (first, second)
}

@Suite("FedAvg and FedProx")
struct FedAvgTests {
    @Test("FedAvg: two rounds of sample-weighted means", arguments: Convention.allCases)
    func fedAvgTwoRounds(convention: Convention) throws {
        // Prepare
        let aggregator = try AggregatorRegistry.make(name: "fedavg", convention: convention)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert: x1 = x0 + [0.5, 3 | -0.5]; x2 = x1 + [0.75, -0.5 | 0.25]
        expectValues(first, ["a": [1.5, 5], "b": [-0.5]])
        expectValues(second, ["a": [2.25, 4.5], "b": [-0.25]])
        #expect(first.names == tinyGlobal.names)
    }

    @Test("FedAvg with one client returns that client's set exactly")
    func fedAvgSingleClient() throws {
        // Prepare
        let only = ClientUpdate(clientID: 7, parameters: vectors(["a": [0.1, -3.3], "b": [1e-7]]), sampleCount: 13)
        // Execute
        let result = try FedAvg().aggregate(global: tinyGlobal, updates: [only], failures: [],
                                            context: roundContext(1))
        // Assert
        #expect(bitPatterns(result) == bitPatterns(only.parameters))
    }

    @Test("FedAvg keeps the global set's name order when clients list names differently")
    func fedAvgNameOrder() throws {
        // Prepare
        let reordered = ParameterSet([("b", Tensor(shape: [1], scalars: [4])),
                                      ("a", Tensor(shape: [2], scalars: [2, 2]))])
        // Execute
        let result = try FedAvg().aggregate(global: tinyGlobal,
                                            updates: [ClientUpdate(clientID: 0, parameters: reordered, sampleCount: 1)],
                                            failures: [], context: roundContext(1))
        // Assert
        #expect(result.names == ["a", "b"])
        expectValues(result, ["a": [2, 2], "b": [4]])
    }

    @Test("FedProx with mu = 0 equals FedAvg bit for bit, on the server and on the client")
    func fedProxZeroMuIsFedAvg() throws {
        // Prepare
        let prox = try FedProx(mu: 0), plain = FedAvg()
        let gradients = vectors(["a": [0.25, -1], "b": [3]])
        var adjusted = gradients
        // Execute
        let proxRounds = try runTinyRounds(prox), plainRounds = try runTinyRounds(plain)
        let session = try #require(prox.clientAlgorithm).beginLocalTraining(
            global: tinyGlobal, serverExtras: [:], clientID: 1, context: roundContext(1))
        try session.adjustGradients(parameters: vectors(["a": [5, 5], "b": [5]]), gradients: &adjusted,
                                    learningRate: 0.1)
        // Assert
        #expect(bitPatterns(proxRounds.0) == bitPatterns(plainRounds.0))
        #expect(bitPatterns(proxRounds.1) == bitPatterns(plainRounds.1))
        #expect(bitPatterns(adjusted) == bitPatterns(gradients))
        #expect(try session.finishLocalTraining(parameters: tinyGlobal).isEmpty)
    }

    @Test("FedProx client: each gradient gains mu (w - x) for names in the global set")
    func fedProxGradientTerm() throws {
        // Prepare: mu = 0.5, x = a [1, 2] b [0]; w = a [3, 1] b [-2] plus a local-only parameter.
        let prox = try FedProx(mu: 0.5)
        let session = try #require(prox.clientAlgorithm).beginLocalTraining(
            global: tinyGlobal, serverExtras: [:], clientID: 4, context: roundContext(1))
        let weights = vectors(["a": [3, 1], "b": [-2], "head": [9]])
        var gradients = vectors(["a": [0.5, 0.5], "b": [1], "head": [7]])
        // Execute
        try session.adjustGradients(parameters: weights, gradients: &gradients, learningRate: 0.01)
        // Assert: a: 0.5 + 0.5*(3-1) = 1.5, 0.5 + 0.5*(1-2) = 0; b: 1 + 0.5*(-2-0) = 0; head untouched.
        expectValues(gradients, ["a": [1.5, 0], "b": [0], "head": [7]])
    }

    @Test("FedProx client: a gradient without current values is a clear error")
    func fedProxMissingParameter() throws {
        // Prepare
        let session = try #require(try FedProx(mu: 0.1).clientAlgorithm).beginLocalTraining(
            global: tinyGlobal, serverExtras: [:], clientID: 2, context: roundContext(1))
        var gradients = vectors(["a": [1, 1], "b": [1]])
        // Execute
        let error = aggregatorError {
            try session.adjustGradients(parameters: vectors(["a": [1, 1]]), gradients: &gradients, learningRate: 0.1)
        }
        // Assert
        #expect(error?.kind == .invalidClientInput)
        #expect(error?.message.contains("fedprox client 2") == true && error?.message.contains("gradient b") == true)
    }

    @Test("FedProx: negative mu is rejected by name")
    func fedProxNegativeMu() {
        let error = aggregatorError { _ = try FedProx(mu: -1) }
        #expect(error?.kind == .invalidOption && error?.message.contains("mu") == true)
    }

    @Test("FedProx default mu: 0.01 in the reference convention, 0 in Flower's")
    func fedProxDefaults() throws {
        let reference = try #require(try AggregatorRegistry.make(name: "fedprox", convention: .reference) as? FedProx)
        let flower = try #require(try AggregatorRegistry.make(name: "fedprox", convention: .flower) as? FedProx)
        #expect(reference.mu == 0.01)
        #expect(flower.mu == 0)
    }
}
