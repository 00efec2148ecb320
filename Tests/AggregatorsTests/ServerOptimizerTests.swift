// FedAvgM, FedAdam, FedYogi and FedAdagrad on the tiny scenario of FedAvgTests.swift, two
// rounds, both conventions. Coordinates are listed as [a0, a1, b0]:
//   x0 = [1, 2, 0]
//   round 1: sample-weighted d = [0.5, 3, -0.5],   unweighted d = [1, 2, 0]
//   round 2: sample-weighted d = [0.75, -0.5, 0.25], unweighted d = [0.5, -1, 0.5]
// Expected values are written out per coordinate from the rules in Docs/Aggregators.md.
import Foundation
import Testing
import Tensors
@testable import Aggregators

let x0: [Double] = [1, 2, 0]
let weightedDelta = ([0.5, 3, -0.5], [0.75, -0.5, 0.25])
let uniformDelta = ([1.0, 2, 0], [0.5, -1, 0.5])

/// [a0, a1, b0] as the tiny set's dictionary.
func tiny(_ values: [Double]) -> [String: [Double]] { ["a": [values[0], values[1]], "b": [values[2]]] }

/// x + step * m / (sqrt(v) + tau), coordinate by coordinate.
func adaptiveStep(_ x: [Double], _ m: [Double], _ v: [Double], eta: Double, tau: Double) -> [Double] {
    (0..<3).map { x[$0] + eta * m[$0] / (v[$0].squareRoot() + tau) }
}

@Suite("Server optimisers")
struct ServerOptimizerTests {
    // MARK: FedAvgM

    @Test("FedAvgM, reference: m = d first, then m = 0.9 m + 0.1 d; x += m")
    func fedAvgMReference() throws {
        // Prepare
        let aggregator = try FedAvgM(convention: .reference)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert: m1 = [0.5, 3, -0.5]; m2 = 0.9 m1 + 0.1 [0.75, -0.5, 0.25] = [0.525, 2.65, -0.425]
        expectValues(first, tiny([1.5, 5, -0.5]))
        expectValues(second, tiny([2.025, 7.65, -0.925]))
        expectValues(try #require(aggregator.firstMoment), tiny([0.525, 2.65, -0.425]))
        #expect(aggregator.stepCount == 2)
    }

    @Test("FedAvgM, Flower: v = mu v + d, x += eta v (eta 0.5, mu 0.9)")
    func fedAvgMFlower() throws {
        // Prepare
        var settings = ServerOptimizerSettings.fedAvgM(.flower)
        settings.learningRate = 0.5
        settings.beta1 = 0.9
        let aggregator = try FedAvgM(convention: .flower, settings: settings)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert: v1 = d1, x1 = x0 + 0.5 d1; v2 = 0.9 v1 + d2 = [1.2, 2.2, -0.2], x2 = x1 + 0.5 v2
        expectValues(first, tiny([1.25, 3.5, -0.25]))
        expectValues(second, tiny([1.85, 4.6, -0.35]))
    }

    @Test("FedAvgM with momentum 0 (and eta 1) equals FedAvg", arguments: Convention.allCases)
    func fedAvgMZeroMomentumIsFedAvg(convention: Convention) throws {
        // Prepare
        let momentumFree = try AggregatorRegistry.make(name: "fedavgm", convention: convention,
                                                       options: ["momentum": 0, "eta": 1])
        // Execute
        let (first, second) = try runTinyRounds(momentumFree)
        let (plainFirst, plainSecond) = try runTinyRounds(FedAvg())
        // Assert
        expectValues(first, plainFirst.entries.reduce(into: [:]) { $0[$1.name] = $1.tensor.scalars.map(Double.init) })
        expectValues(second, plainSecond.entries.reduce(into: [:]) { $0[$1.name] = $1.tensor.scalars.map(Double.init) })
    }

    @Test("FedAvgM, Flower defaults (eta 1, momentum 0) are FedAvg exactly and keep no state")
    func fedAvgMFlowerDefaults() throws {
        let aggregator = try FedAvgM(convention: .flower)
        let (first, second) = try runTinyRounds(aggregator)
        let (plainFirst, plainSecond) = try runTinyRounds(FedAvg())
        #expect(bitPatterns(first) == bitPatterns(plainFirst))
        #expect(bitPatterns(second) == bitPatterns(plainSecond))
        #expect(aggregator.firstMoment == nil)
    }

    // MARK: FedAdam

    @Test("FedAdam, reference: unweighted d, m = d first, v0 = tau^2, v squares m, eta 1e-3")
    func fedAdamReference() throws {
        // Prepare
        let aggregator = try FedAdam(convention: .reference)
        let tau = 1e-3, eta = 1e-3
        let m1 = uniformDelta.0
        let v1 = m1.map { 0.99 * tau * tau + 0.01 * $0 * $0 }
        let x1 = adaptiveStep(x0, m1, v1, eta: eta, tau: tau)
        let m2 = (0..<3).map { 0.9 * m1[$0] + 0.1 * uniformDelta.1[$0] }       // [0.95, 1.7, 0.05]
        let v2 = (0..<3).map { 0.99 * v1[$0] + 0.01 * m2[$0] * m2[$0] }
        let x2 = adaptiveStep(x1, m2, v2, eta: eta, tau: tau)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert
        expectValues(first, tiny(x1))
        expectValues(second, tiny(x2))
        expectValues(try #require(aggregator.secondMoment), tiny(v2), tolerance: 1e-5)
    }

    @Test("FedAdam, Flower: weighted d, m0 = v0 = 0, v squares d, bias-corrected eta 0.1")
    func fedAdamFlower() throws {
        // Prepare
        let aggregator = try FedAdam(convention: .flower)
        let tau = 1e-3
        let m1 = weightedDelta.0.map { 0.1 * $0 }                                 // [0.05, 0.3, -0.05]
        let v1 = weightedDelta.0.map { 0.01 * $0 * $0 }                           // [0.0025, 0.09, 0.0025]
        let eta1 = 0.1 * (1 - pow(0.99, 2)).squareRoot() / (1 - pow(0.9, 2))
        let x1 = adaptiveStep(x0, m1, v1, eta: eta1, tau: tau)
        let m2 = [0.12, 0.22, -0.02]                                              // 0.9 m1 + 0.1 d2
        let v2 = [0.0081, 0.0916, 0.0031]                                         // 0.99 v1 + 0.01 d2^2
        let eta2 = 0.1 * (1 - pow(0.99, 3)).squareRoot() / (1 - pow(0.9, 3))
        let x2 = adaptiveStep(x1, m2, v2, eta: eta2, tau: tau)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert
        expectValues(first, tiny(x1))
        expectValues(second, tiny(x2))
        #expect(abs(aggregator.stepSize(context: roundContext(1)) - eta1) < 1e-15)
    }

    // MARK: FedYogi

    @Test("FedYogi, reference: v = v - 0.01 m^2 sign(v - m^2) from v0 = tau^2")
    func fedYogiReference() throws {
        // Prepare
        let aggregator = try FedYogi(convention: .reference)
        let tau = 1e-3, eta = 1e-3
        let m1 = uniformDelta.0                                                   // [1, 2, 0]
        // v0 = 1e-6 < m1^2 for a (v grows by 0.01 m^2); b: m = 0 so sign(1e-6 - 0) = 1 and v stays
        let v1 = [0.010001, 0.040001, 0.000001]
        let x1 = adaptiveStep(x0, m1, v1, eta: eta, tau: tau)
        let m2 = [0.95, 1.7, 0.05]
        let v2 = [0.019026, 0.068901, 0.000026]                                   // v1 < m2^2 everywhere
        let x2 = adaptiveStep(x1, m2, v2, eta: eta, tau: tau)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert
        expectValues(first, tiny(x1))
        expectValues(second, tiny(x2))
        expectValues(try #require(aggregator.secondMoment), tiny(v2), tolerance: 1e-5)
    }

    @Test("FedYogi, Flower: v squares d, v0 = 0, eta 1e-2, no bias correction")
    func fedYogiFlower() throws {
        // Prepare
        let aggregator = try FedYogi(convention: .flower)
        let m1 = [0.05, 0.3, -0.05]
        let v1 = [0.0025, 0.09, 0.0025]                                            // sign(0 - d^2) = -1
        let x1 = adaptiveStep(x0, m1, v1, eta: 1e-2, tau: 1e-3)
        let m2 = [0.12, 0.22, -0.02]
        let v2 = [0.008125, 0.0925, 0.003125]                                      // v1 < d2^2: v1 + 0.01 d2^2
        let x2 = adaptiveStep(x1, m2, v2, eta: 1e-2, tau: 1e-3)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert
        expectValues(first, tiny(x1))
        expectValues(second, tiny(x2))
    }

    @Test("Yogi keeps v when v equals the square (sign(0) = 0)")
    func yogiSignOfZero() throws {
        let yogi = try FedYogi(convention: .flower)
        #expect(yogi.nextSecondMoment(previous: 0.25, input: 0.5) == 0.25)
        #expect(yogi.nextSecondMoment(previous: 1, input: 0.5) == 1 - 0.01 * 0.25)
    }

    // MARK: FedAdagrad

    @Test("FedAdagrad, reference: m = d (unweighted), v = tau^2 + sum of m^2, eta 1e-3")
    func fedAdagradReference() throws {
        // Prepare
        let aggregator = try FedAdagrad(convention: .reference)
        let v1 = [1.000001, 4.000001, 0.000001]
        let x1 = adaptiveStep(x0, uniformDelta.0, v1, eta: 1e-3, tau: 1e-3)
        let v2 = [1.250001, 5.000001, 0.250001]
        let x2 = adaptiveStep(x1, uniformDelta.1, v2, eta: 1e-3, tau: 1e-3)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert
        expectValues(first, tiny(x1))
        expectValues(second, tiny(x2))
    }

    @Test("FedAdagrad, Flower: m = d (weighted), v = sum of d^2 from 0, eta 0.1")
    func fedAdagradFlower() throws {
        // Prepare
        let aggregator = try FedAdagrad(convention: .flower)
        let v1 = [0.25, 9, 0.25]
        let x1 = adaptiveStep(x0, weightedDelta.0, v1, eta: 0.1, tau: 1e-3)
        let v2 = [0.8125, 9.25, 0.3125]
        let x2 = adaptiveStep(x1, weightedDelta.1, v2, eta: 0.1, tau: 1e-3)
        // Execute
        let (first, second) = try runTinyRounds(aggregator)
        // Assert
        expectValues(first, tiny(x1))
        expectValues(second, tiny(x2))
    }

    // MARK: Settings

    @Test("Defaults of each convention match the published ones")
    func conventionDefaults() {
        let adamReference = ServerOptimizerSettings.fedAdam(.reference)
        #expect(adamReference.learningRate == 1e-3 && adamReference.tau == 1e-3)
        #expect(adamReference.beta1 == 0.9 && adamReference.beta2 == 0.99 && !adamReference.biasCorrection)
        #expect(adamReference.weighting == .uniform && adamReference.secondMomentStartsAtTauSquared)
        let adamFlower = ServerOptimizerSettings.fedAdam(.flower)
        #expect(adamFlower.learningRate == 0.1 && adamFlower.tau == 1e-3 && adamFlower.biasCorrection)
        #expect(adamFlower.weighting == .sampleCount && adamFlower.firstMomentStart == .zero)
        #expect(ServerOptimizerSettings.fedYogi(.flower).learningRate == 1e-2)
        #expect(ServerOptimizerSettings.fedAdagrad(.flower).learningRate == 0.1)
        #expect(ServerOptimizerSettings.fedAdagrad(.reference).beta1 == 0)
        #expect(ServerOptimizerSettings.fedAvgM(.reference).beta1 == 0.9)
        #expect(ServerOptimizerSettings.fedAvgM(.flower).beta1 == 0)
        #expect(ServerOptimizerSettings.fedAvgM(.flower).learningRate == 1)
    }

    @Test("Out-of-range hyperparameters are rejected by name")
    func invalidSettings() {
        var badBeta = ServerOptimizerSettings.fedAdam(.reference)
        badBeta.beta1 = 1
        var badTau = ServerOptimizerSettings.fedYogi(.flower)
        badTau.tau = 0
        var badEta = ServerOptimizerSettings.fedAvgM(.reference)
        badEta.learningRate = -1
        #expect(aggregatorError { _ = try FedAdam(settings: badBeta) }?.message.contains("beta1") == true)
        #expect(aggregatorError { _ = try FedYogi(convention: .flower, settings: badTau) }?.message.contains("tau") == true)
        #expect(aggregatorError { _ = try FedAvgM(settings: badEta) }?.message.contains("eta") == true)
    }
}
