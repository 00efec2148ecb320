// A researcher's own aggregation rule, outside the library: "FedAvg with server-side
// norm clipping" — each client's update delta_k = x_k − x is scaled down to at most
// `maxNorm` before the sample-weighted average. It is registered under a name and run
// through the same experiment runner `fedvlm run` uses.

import Aggregators
import Experiments
import Foundation
import Tensors

final class ClippedFedAvg: StatelessAggregator {
    let name = "clippedfedavg"
    let maxNorm: Double
    var configuration: [String: String] { ["maxNorm": "\(maxNorm)"] }

    init(maxNorm: Double) { self.maxNorm = maxNorm }

    func aggregate(global: ParameterSet, updates: [ClientUpdate], failures: [ClientFailure],
                   context: RoundContext) throws -> ParameterSet {
        guard !updates.isEmpty else { throw AggregatorError(.noUpdates, "\(name): round \(context.round) has no updates") }
        for update in updates {
            try global.validateCompatible(with: update.parameters, context: "\(name): update from client \(update.clientID)")
        }
        let weights = UpdateWeighting.sampleCount.weights(of: updates)
        var result = global
        // Scale each client's delta so its L2 norm over all tensors is at most maxNorm.
        let scales = updates.map { update -> Float in
            let squared = global.names.reduce(0.0) { total, name in
                total + (update.parameters[name]! - global[name]!).squaredNorm()
            }
            let norm = squared.squareRoot()
            return Float(norm > maxNorm ? maxNorm / norm : 1)
        }
        for name in global.names {
            var tensor = global[name]!
            for (index, update) in updates.enumerated() {
                tensor.addScaled(update.parameters[name]! - global[name]!, scale: Float(weights[index]) * scales[index])
            }
            result[name] = tensor
        }
        return result
    }
}

var registry = AggregatorRegistry.standard
registry.register("clippedfedavg", .init(options: ["maxNorm": "largest L2 norm of a client's delta (default 1)"]) { _, options in
    ClippedFedAvg(maxNorm: options.double("maxNorm", default: 1))
})

var spec = ExperimentSpec()
spec.dataset = CommandLine.arguments.dropFirst().first ?? "fed-slake"
spec.preset = .smoke
spec.algorithm = "clippedfedavg"
spec.algorithmOptions = ["maxNorm": 0.5]
let runner = ExperimentRunner(models: PretrainedModelProvider(budget: spec.preset.pretrainingBudget))
runner.aggregators = registry
runner.log = { print($0) }
let result = try runner.run(spec)
print("\(spec.label): \(ExperimentRunner.summary(result.final))")
