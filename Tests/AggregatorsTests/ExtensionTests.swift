// A researcher's own rules, written against the public API only (plain `import`, no
// @testable): a protocol-conforming aggregator (the example in Docs/Aggregators.md),
// subclasses of the open FedAvg and server-optimiser bases, and registration by name.
import Testing
import Tensors
import Aggregators

/// The Docs/Aggregators.md example: FedAvg with a server learning rate,
/// x <- x + eta * sum_k (n_k / N) (x_k - x).
final class ServerStepFedAvg: StatelessAggregator {
    let eta: Double
    init(eta: Double) { self.eta = eta }

    var name: String { "serverstepfedavg" }
    var configuration: [String: String] { ["eta": "\(eta)"] }

    func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                   context: RoundContext) throws -> ParameterSet {
        try RoundValidation.validate(global: global, updates: updates, failures: failures,
                                     context: context, algorithm: name)
        let weights = UpdateWeighting.sampleCount.weights(of: updates)
        return AggregationMath.mapWeightedDelta(global: global, clients: updates.map(\.parameters),
                                                weights: weights) { _, x, delta, output in
            for i in delta.indices { output[i] = Float(Double(x[i]) + eta * delta[i]) }
        }
    }
}

/// An AMSGrad-like variant through the open adaptive base: v never decreases.
final class FedAdamMaxV: AdaptiveServerOptimizer {
    override var name: String { "fedadammaxv" }
    override func nextSecondMoment(previous v: Double, input s: Double) -> Double {
        max(v, settings.beta2 * v + (1 - settings.beta2) * s * s)
    }
}

/// FedAvg that ignores clients reporting a training loss above a threshold.
final class LossFilteredFedAvg: FedAvg {
    override var name: String { "lossfilteredfedavg" }
    override func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                            context: RoundContext) throws -> ParameterSet {
        let kept = updates.filter { ($0.metrics["loss"] ?? 0) <= 10 }
        return try super.aggregate(global: global, updates: kept, failures: failures, context: context)
    }
}

@Suite("Extending the library")
struct ExtensionTests {
    let global = ParameterSet([("w", Tensor(shape: [2], scalars: [1, 1]))])

    func update(_ id: Int, _ values: [Float], samples: Int, loss: Double = 0) -> ClientUpdate {
        ClientUpdate(clientID: id, parameters: ParameterSet([("w", Tensor(shape: [2], scalars: values))]),
                     sampleCount: samples, metrics: ["loss": loss])
    }

    @Test("a protocol-conforming aggregator plugs into a registry and saves its state")
    func customAggregator() throws {
        // Prepare
        var registry = AggregatorRegistry.standard
        registry.register("serverstepfedavg", .init(options: ["eta": "server learning rate"]) { _, options in
            ServerStepFedAvg(eta: options.double("eta", default: 1))
        })
        let aggregator = try registry.make(name: "serverstepfedavg", options: ["eta": 0.5])
        // Execute: weighted delta = (1 * [2, 0] + 3 * [0, 4]) / 4 = [0.5, 3]; x + 0.5 * delta
        let result = try aggregator.aggregate(global: global, updates: [update(0, [3, 1], samples: 1),
                                                                        update(1, [1, 5], samples: 3)],
                                              failures: [], context: RoundContext(round: 1, totalRounds: 1))
        // Assert
        #expect(result["w"]?.scalars == [1.25, 2.5])
        #expect(aggregator.stateSnapshot().configuration == ["eta": "0.5"])
        #expect(throws: AggregatorError.self) { try ServerStepFedAvg(eta: 2).restore(aggregator.stateSnapshot()) }
        #expect(registry.names.contains("serverstepfedavg") && registry.names.contains("fedadam"))
    }

    @Test("a subclass of the adaptive base overrides only the second-moment rule")
    func adaptiveSubclass() throws {
        // Prepare: Flower-style settings, eta 1, tau 0.5 to keep numbers readable.
        var settings = ServerOptimizerSettings.fedAdam(.flower)
        settings.learningRate = 1
        settings.tau = 0.5
        settings.biasCorrection = false
        let aggregator = try FedAdamMaxV(settings: settings, convention: .flower)
        // Execute: one client, d = [3, -1]; m = 0.1 d = [0.3, -0.1]; v = max(0, 0.01 d^2) = [0.09, 0.01]
        let result = try aggregator.aggregate(global: global, updates: [update(0, [4, 0], samples: 1)], failures: [],
                                              context: RoundContext(round: 1, totalRounds: 1))
        // Assert: x + m / (sqrt(v) + 0.5) = [1 + 0.3 / 0.8, 1 - 0.1 / 0.6]
        let values = try #require(result["w"]?.scalars)
        #expect(abs(Double(values[0]) - 1.375) < 1e-6)
        #expect(abs(Double(values[1]) - (1 - 0.1 / 0.6)) < 1e-6)
        #expect(aggregator.stateSnapshot().algorithm == "fedadammaxv")
    }

    @Test("a subclass of the open FedAvg changes which updates count")
    func fedAvgSubclass() throws {
        let result = try LossFilteredFedAvg().aggregate(
            global: global, updates: [update(0, [3, 3], samples: 1), update(1, [100, 100], samples: 9, loss: 50)],
            failures: [], context: RoundContext(round: 1, totalRounds: 1))
        #expect(result["w"]?.scalars == [3, 3])
    }
}
