// Bad round inputs: every registered aggregator must reject them with an error that names
// the algorithm, the round, the client and the parameter.
import Testing
import Tensors
@testable import Aggregators

@Suite("Bad input")
struct ValidationTests {
    static let names = AggregatorRegistry.standard.names

    @Test("zero clients is a clear error that lists the failures", arguments: names)
    func zeroClients(name: String) throws {
        // Prepare
        let aggregator = try AggregatorRegistry.make(name: name)
        let failures = [ClientFailure(clientID: 4, reason: "loss became NaN at step 3")]
        // Execute
        let error = aggregatorError {
            _ = try aggregator.aggregate(global: tinyGlobal, updates: [], failures: failures, context: roundContext(2))
        }
        // Assert
        #expect(error?.kind == .noUpdates)
        #expect(error?.message.contains("\(name), round 2") == true)
        #expect(error?.message.contains("client 4: loss became NaN at step 3") == true)
    }

    @Test("an update with a missing or extra name is a clear error", arguments: names)
    func differentNames(name: String) throws {
        // Prepare
        let aggregator = try AggregatorRegistry.make(name: name)
        let wrong = ClientUpdate(clientID: 3, parameters: vectors(["a": [1, 1], "c": [0]]), sampleCount: 2,
                                 localSteps: 1)
        // Execute
        let error = aggregatorError {
            _ = try aggregator.aggregate(global: tinyGlobal, updates: tinyRoundOne(tinyGlobal) + [wrong], failures: [],
                                         context: roundContext(1))
        }
        // Assert
        #expect(error?.kind == .incompatibleUpdate)
        #expect(error?.message.contains("update from client 3") == true)
        #expect(error?.message.contains("missing b") == true && error?.message.contains("unexpected c") == true)
    }

    @Test("an update with a different shape is a clear error", arguments: names)
    func differentShape(name: String) throws {
        // Prepare
        let aggregator = try AggregatorRegistry.make(name: name)
        let wrong = ClientUpdate(clientID: 8, parameters: vectors(["a": [1, 1, 1], "b": [0]]), sampleCount: 2,
                                 localSteps: 1)
        // Execute
        let error = aggregatorError {
            _ = try aggregator.aggregate(global: tinyGlobal, updates: [wrong], failures: [], context: roundContext(1))
        }
        // Assert
        #expect(error?.kind == .incompatibleUpdate)
        #expect(error?.message.contains("client 8: parameter a has shape [3], the global set has [2]") == true)
    }

    @Test("non-positive sample counts, repeated clients and non-finite values are rejected")
    func invalidUpdates() throws {
        let aggregator = FedAvg()
        let noSamples = ClientUpdate(clientID: 2, parameters: tinyGlobal, sampleCount: 0)
        let nonFinite = ClientUpdate(clientID: 6, parameters: vectors(["a": [.nan, 1], "b": [0]]), sampleCount: 1)
        let duplicate = tinyRoundOne(tinyGlobal) + [ClientUpdate(clientID: 1, parameters: tinyGlobal, sampleCount: 1)]

        let samplesError = aggregatorError {
            _ = try aggregator.aggregate(global: tinyGlobal, updates: [noSamples], failures: [], context: roundContext(1))
        }
        let finiteError = aggregatorError {
            _ = try aggregator.aggregate(global: tinyGlobal, updates: [nonFinite], failures: [], context: roundContext(1))
        }
        let duplicateError = aggregatorError {
            _ = try aggregator.aggregate(global: tinyGlobal, updates: duplicate, failures: [], context: roundContext(1))
        }

        #expect(samplesError?.kind == .invalidUpdate && samplesError?.message.contains("client 2: sampleCount is 0") == true)
        #expect(finiteError?.message.contains("client 6: parameter a has non-finite values") == true)
        #expect(duplicateError?.message.contains("client 1 sent more than one update") == true)
    }

    @Test("an empty global set is rejected")
    func emptyGlobal() {
        let error = aggregatorError {
            _ = try FedAvg().aggregate(global: ParameterSet(), updates: [ClientUpdate(clientID: 0, parameters: ParameterSet(), sampleCount: 1)],
                                       failures: [], context: roundContext(1))
        }
        #expect(error?.message.contains("global parameter set is empty") == true)
    }

    @Test("a server optimiser whose state no longer fits the global set says which state")
    func staleState() throws {
        // Prepare: one round on the tiny set, then a global set with another shape.
        let adam = try FedAdam()
        _ = try adam.aggregate(global: tinyGlobal, updates: tinyRoundOne(tinyGlobal), failures: [], context: roundContext(1))
        let other = vectors(["a": [1, 2, 3], "b": [0]])
        // Execute
        let error = aggregatorError {
            _ = try adam.aggregate(global: other, updates: [ClientUpdate(clientID: 0, parameters: other, sampleCount: 1)],
                                   failures: [], context: roundContext(2))
        }
        // Assert
        #expect(error?.kind == .incompatibleUpdate)
        #expect(error?.message.contains("fedadam, round 2: server state (first moment)") == true)
    }
}
