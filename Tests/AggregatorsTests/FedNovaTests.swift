// FedNova on tiny vectors: x <- x + tau_eff sum_k p_k delta_k / tau_k (plain local SGD).
import Testing
import Tensors
@testable import Aggregators

@Suite("FedNova")
struct FedNovaTests {
    @Test("two rounds computed by hand; equal step counts reduce to FedAvg")
    func twoRounds() throws {
        // Prepare: x0 = [0, 0]
        let nova = try FedNova()
        let x0 = vectors(["w": [0, 0]])
        // Round 1: p = [0.5, 0.5], tau = [1, 4], deltas [1, 0] and [2, 4]
        //   sum p delta / tau = [0.5 + 0.25, 0 + 0.5] = [0.75, 0.5]; tau_eff = 2.5; x1 = [1.875, 1.25]
        let round1 = [client(0, x0, delta: ["w": [1, 0]], samples: 2, steps: 1),
                      client(1, x0, delta: ["w": [2, 4]], samples: 2, steps: 4)]
        // Execute
        let x1 = try nova.aggregate(global: x0, updates: round1, failures: [], context: roundContext(1, of: 2))
        // Assert
        expectValues(x1, ["w": [1.875, 1.25]])

        // Round 2: p = [0.75, 0.25], both 2 steps: FedAvg step [0.75 - 0.25, 0.75 + 0.75] = [0.5, 1.5]
        let round2 = [client(0, x1, delta: ["w": [1, 1]], samples: 3, steps: 2),
                      client(1, x1, delta: ["w": [-1, 3]], samples: 1, steps: 2)]
        let x2 = try nova.aggregate(global: x1, updates: round2, failures: [], context: roundContext(2, of: 2))
        let fedAvg = try FedAvg().aggregate(global: x1, updates: round2, failures: [], context: roundContext(2, of: 2))
        expectValues(x2, ["w": [2.375, 2.75]])
        expectValues(fedAvg, ["w": [2.375, 2.75]])
    }

    @Test("local momentum changes the normaliser: ||a||_1 = (tau - rho (1 - rho^tau) / (1 - rho)) / (1 - rho)")
    func momentumNormaliser() throws {
        let nova = try FedNova(localMomentum: 0.5)
        // tau = 2: a = [1, 1.5] -> ||a||_1 = 2.5; formula: (2 - 0.5 * 0.75 / 0.5) / 0.5 = 2.5
        #expect(abs(nova.normalizer(localSteps: 2) - 2.5) < 1e-12)
        #expect(try FedNova().normalizer(localSteps: 7) == 7)
    }

    @Test("updates without a local step count are rejected by client")
    func missingSteps() throws {
        let updates = [ClientUpdate(clientID: 9, parameters: tinyGlobal, sampleCount: 1)]
        let error = aggregatorError {
            _ = try FedNova().aggregate(global: tinyGlobal, updates: updates, failures: [], context: roundContext(1))
        }
        #expect(error?.kind == .invalidUpdate)
        #expect(error?.message.contains("client 9") == true && error?.message.contains("localSteps") == true)
    }
}
