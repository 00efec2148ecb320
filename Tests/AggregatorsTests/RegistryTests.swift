// AggregatorRegistry: names, options, conventions and errors.
import Testing
import Tensors
@testable import Aggregators

@Suite("Registry")
struct RegistryTests {
    @Test("every documented name builds an aggregator that reports that name")
    func names() throws {
        let expected = ["fedadagrad", "fedadam", "fedavg", "fedavgm", "fedmedian", "fednova", "fedprox", "fedyogi",
                        "krum", "scaffold", "trimmedmean"]
        #expect(AggregatorRegistry.standard.names == expected)
        for name in expected {
            for convention in Convention.allCases {
                #expect(try AggregatorRegistry.make(name: name, convention: convention).name == name)
            }
        }
        #expect(try AggregatorRegistry.make(name: "FedAdam").name == "fedadam")
    }

    @Test("an unknown name lists the valid ones")
    func unknownName() {
        let error = aggregatorError { _ = try AggregatorRegistry.make(name: "fedsgd") }
        #expect(error?.kind == .unknownAggregator)
        #expect(error?.message.contains("unknown aggregator \"fedsgd\"") == true)
        #expect(error?.message.contains("fedavg, fedavgm, fedmedian") == true)
    }

    @Test("an unknown option key is rejected by name with the valid keys")
    func unknownOption() {
        let error = aggregatorError { _ = try AggregatorRegistry.make(name: "fedadam", options: ["eta": 0.1, "momentum": 0.9]) }
        #expect(error?.kind == .invalidOption)
        #expect(error?.message.contains("fedadam: unknown option \"momentum\"; valid options: beta1, beta2, eta, tau") == true)
        let none = aggregatorError { _ = try AggregatorRegistry.make(name: "fedavg", options: ["mu": 0.1]) }
        #expect(none?.message.contains("valid options: none") == true)
    }

    @Test("option values are checked: whole numbers, flags, ranges, finiteness")
    func optionValues() {
        #expect(aggregatorError { _ = try AggregatorRegistry.make(name: "krum", options: ["selected": 1.5]) }?
            .message.contains("selected must be a whole number") == true)
        #expect(aggregatorError { _ = try AggregatorRegistry.make(name: "scaffold", options: ["sampleWeighted": 2]) }?
            .message.contains("sampleWeighted must be 0 or 1") == true)
        #expect(aggregatorError { _ = try AggregatorRegistry.make(name: "fedyogi", options: ["beta2": 1.5]) }?
            .message.contains("beta2") == true)
        #expect(aggregatorError { _ = try AggregatorRegistry.make(name: "fedprox", options: ["mu": .infinity]) }?
            .message.contains("mu must be finite") == true)
    }

    @Test("options override the convention's defaults and only those")
    func optionsOverrideDefaults() throws {
        let adam = try #require(try AggregatorRegistry.make(name: "fedadam", convention: .flower, options: ["tau": 0.01]) as? FedAdam)
        #expect(adam.settings.tau == 0.01)
        #expect(adam.settings.learningRate == 0.1 && adam.settings.biasCorrection)
        let momentum = try #require(try AggregatorRegistry.make(name: "fedavgm", options: ["momentum": 0.5]) as? FedAvgM)
        #expect(momentum.settings.beta1 == 0.5 && momentum.settings.learningRate == 1)
        let krum = try #require(try AggregatorRegistry.make(name: "krum", options: ["byzantine": 2, "selected": 3]) as? Krum)
        #expect(krum.byzantineCount == 2 && krum.selectionCount == 3)
        let scaffold = try #require(try AggregatorRegistry.make(name: "scaffold", options: ["sampleWeighted": 0]) as? Scaffold)
        #expect(scaffold.weighting == .uniform)
    }

    @Test("client algorithms: FedProx and SCAFFOLD have one, the others train plainly")
    func clientAlgorithms() throws {
        for name in AggregatorRegistry.standard.names {
            let aggregator = try AggregatorRegistry.make(name: name)
            #expect((aggregator.clientAlgorithm != nil) == ["fedprox", "scaffold"].contains(name), "\(name)")
            #expect(aggregator.broadcastExtras(global: tinyGlobal).isEmpty == (name != "scaffold"), "\(name)")
        }
    }

    @Test("metrics helper: sample-weighted mean of each metric over the clients that report it")
    func weightedMetrics() {
        let updates = [ClientUpdate(clientID: 0, parameters: tinyGlobal, sampleCount: 1, metrics: ["loss": 2, "acc": 0.5]),
                       ClientUpdate(clientID: 1, parameters: tinyGlobal, sampleCount: 3, metrics: ["loss": 6])]
        let metrics = aggregateMetrics(updates)
        #expect(metrics == ["loss": 5, "acc": 0.5])
    }
}
