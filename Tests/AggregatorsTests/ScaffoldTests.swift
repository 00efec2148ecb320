// SCAFFOLD end to end on a two-client, two-round problem computed by hand, with this test
// standing in for the runtime's SGD loop (w <- w - lr * adjusted gradient).
//
//   x0 = [0, 0], c = 0, both clients weight 1, N = 2.
//   Client 0 always sees gradient [1, -1]; client 1 always sees [3, 1].
//   Round 1 (c - c_k = 0): client 0 takes 2 steps at lr 0.1 -> y = [-0.2, 0.2],
//     c_0 = (x - y) / 0.2 = [1, -1]; client 1 takes 1 step -> y = [-0.3, -0.1], c_1 = [3, 1].
//     Server: x1 = mean y = [-0.25, 0.05]; c = (dc_0 + dc_1) / 2 = [2, 0].
//   Round 2: corrections c - c_0 = [1, 1] and c - c_1 = [-1, -1] turn both gradients into
//     [2, 0]; one step each -> y = [-0.45, 0.05] for both; c_k unchanged (dc = 0), c = [2, 0].
import Testing
import Tensors
@testable import Aggregators

/// Plays one client's local SGD with a constant gradient, through the SCAFFOLD hooks.
func trainScaffoldClient(_ algorithm: any ClientAlgorithm, extras: [String: ParameterSet], global: ParameterSet,
                         clientID: Int, gradient: [Float], steps: Int, learningRate: Float,
                         context: RoundContext) throws -> ClientUpdate {
    let session = try algorithm.beginLocalTraining(global: global, serverExtras: extras, clientID: clientID,
                                                   context: context)
    var weights = global
    for _ in 0..<steps {
        var gradients = ParameterSet([("w", Tensor(shape: [2], scalars: gradient))])
        try session.adjustGradients(parameters: weights, gradients: &gradients, learningRate: Double(learningRate))
        weights = weights.mapTensors { name, value in value - learningRate * gradients[name]! }
    }
    let sent = try session.finishLocalTraining(parameters: weights)
    return ClientUpdate(clientID: clientID, parameters: weights, sampleCount: 1, localSteps: steps, extras: sent)
}

@Suite("SCAFFOLD")
struct ScaffoldTests {
    @Test("two rounds, server and client side, computed by hand")
    func twoRounds() throws {
        // Prepare
        let scaffold = try Scaffold()
        let client = try #require(scaffold.clientAlgorithm as? ScaffoldClient)
        let x0 = ParameterSet([("w", Tensor(shape: [2], scalars: [0, 0]))])

        // Execute: round 1
        let broadcast1 = scaffold.broadcastExtras(global: x0)
        let round1 = [
            try trainScaffoldClient(client, extras: broadcast1, global: x0, clientID: 0, gradient: [1, -1], steps: 2,
                                    learningRate: 0.1, context: roundContext(1, of: 2, clients: 2)),
            try trainScaffoldClient(client, extras: broadcast1, global: x0, clientID: 1, gradient: [3, 1], steps: 1,
                                    learningRate: 0.1, context: roundContext(1, of: 2, clients: 2)),
        ]
        let x1 = try scaffold.aggregate(global: x0, updates: round1, failures: [],
                                        context: roundContext(1, of: 2, clients: 2))

        // Assert: round 1
        expectValues(try #require(broadcast1[Scaffold.serverControlVariateKey]), ["w": [0, 0]])
        expectValues(try #require(round1[0].extras[Scaffold.controlVariateDeltaKey]), ["w": [1, -1]], tolerance: 1e-5)
        expectValues(try #require(round1[1].extras[Scaffold.controlVariateDeltaKey]), ["w": [3, 1]], tolerance: 1e-5)
        expectValues(x1, ["w": [-0.25, 0.05]])
        expectValues(try #require(scaffold.serverControlVariate), ["w": [2, 0]], tolerance: 1e-5)

        // Execute: round 2
        let broadcast2 = scaffold.broadcastExtras(global: x1)
        let round2 = [
            try trainScaffoldClient(client, extras: broadcast2, global: x1, clientID: 0, gradient: [1, -1], steps: 1,
                                    learningRate: 0.1, context: roundContext(2, of: 2, clients: 2)),
            try trainScaffoldClient(client, extras: broadcast2, global: x1, clientID: 1, gradient: [3, 1], steps: 1,
                                    learningRate: 0.1, context: roundContext(2, of: 2, clients: 2)),
        ]
        let x2 = try scaffold.aggregate(global: x1, updates: round2, failures: [],
                                        context: roundContext(2, of: 2, clients: 2))

        // Assert: round 2 (drift corrected: both clients moved the same way)
        expectValues(round2[0].parameters, ["w": [-0.45, 0.05]])
        expectValues(round2[1].parameters, ["w": [-0.45, 0.05]])
        expectValues(try #require(round2[0].extras[Scaffold.controlVariateDeltaKey]), ["w": [0, 0]], tolerance: 1e-5)
        expectValues(x2, ["w": [-0.45, 0.05]])
        expectValues(try #require(scaffold.serverControlVariate), ["w": [2, 0]], tolerance: 1e-5)
        expectValues(try #require(client.controlVariate(clientID: 0)), ["w": [1, -1]], tolerance: 1e-5)
        expectValues(try #require(client.controlVariate(clientID: 1)), ["w": [3, 1]], tolerance: 1e-5)
    }

    @Test("partial participation: c moves by the sum of deltas over the federation size")
    func partialParticipation() throws {
        // Prepare: 4 clients in the federation, 1 reports dc = [4, -8].
        let scaffold = try Scaffold()
        let global = ParameterSet([("w", Tensor(shape: [2], scalars: [1, 1]))])
        let update = ClientUpdate(clientID: 3, parameters: ParameterSet([("w", Tensor(shape: [2], scalars: [2, 0]))]),
                                  sampleCount: 5,
                                  extras: [Scaffold.controlVariateDeltaKey: ParameterSet([("w", Tensor(shape: [2], scalars: [4, -8]))])])
        // Execute
        let next = try scaffold.aggregate(global: global, updates: [update], failures: [],
                                          context: roundContext(1, clients: 4))
        // Assert
        expectValues(next, ["w": [2, 0]])
        expectValues(try #require(scaffold.serverControlVariate), ["w": [1, -2]])
    }

    @Test("an update without the control-variate delta is a clear error")
    func missingExtras() throws {
        let error = aggregatorError {
            _ = try Scaffold().aggregate(global: tinyGlobal, updates: tinyRoundOne(tinyGlobal), failures: [],
                                         context: roundContext(1))
        }
        #expect(error?.kind == .incompatibleUpdate)
        #expect(error?.message.contains("client 1") == true)
        #expect(error?.message.contains(Scaffold.controlVariateDeltaKey) == true)
    }

    @Test("the client side needs the server control variate and at least one step")
    func clientMisuse() throws {
        let client = ScaffoldClient()
        let missing = aggregatorError {
            _ = try client.beginLocalTraining(global: tinyGlobal, serverExtras: [:], clientID: 5, context: roundContext(1))
        }
        #expect(missing?.kind == .invalidClientInput && missing?.message.contains(Scaffold.serverControlVariateKey) == true)

        let session = try client.beginLocalTraining(global: tinyGlobal,
                                                    serverExtras: try Scaffold().broadcastExtras(global: tinyGlobal),
                                                    clientID: 5, context: roundContext(1))
        let noSteps = aggregatorError { _ = try session.finishLocalTraining(parameters: tinyGlobal) }
        #expect(noSteps?.message.contains("0 optimiser steps") == true)
        #expect(client.controlVariate(clientID: 5) == nil)
    }
}
