// Models for experiments, built from the pretrained cache (Sources/Models/Pretraining*.swift):
// the first use of a size and seed pretrains the missing parts and saves them; later runs
// (and later processes) load them. Parts are kept in memory across the runs of a table.

import Foundation
import Models

/// Builds each experiment's model from pretrained parts of `spec.modelSize` and `spec.seed`.
public final class PretrainedModelProvider: ModelProvider {
    public let budget: PretrainingBudget
    /// Base directory of the caches (nil: `$FEDVLM_CACHE` or `./fedvlm-cache`).
    public let cacheRoot: URL?
    public let progress: PretrainingProgress?
    private var loadedParts: [String: PretrainedParts] = [:]
    /// Guards `loadedParts` and serialises pretraining when runs go side by side.
    private let lock = NSRecursiveLock()

    public init(budget: PretrainingBudget, cacheRoot: URL? = nil, progress: PretrainingProgress? = nil) {
        self.budget = budget
        self.cacheRoot = cacheRoot
        self.progress = progress
    }

    /// The cache for a size and seed.
    public func cache(size: ModelSize, seed: UInt64) -> PretrainedCache {
        let environment = cacheRoot.map { ["FEDVLM_CACHE": $0.path] } ?? ProcessInfo.processInfo.environment
        return PretrainedCache(size: size, seed: seed, budget: budget,
                               directory: PretrainedCache.defaultDirectory(size: size, seed: seed, budget: budget, environment: environment))
    }

    private func parts(size: ModelSize, seed: UInt64, components: [PretrainedComponent]) throws -> PretrainedParts {
        let key = "\(size)|\(seed)|\(components.map(\.description).sorted().joined(separator: ","))"
        lock.lock()
        defer { lock.unlock() }
        if let parts = loadedParts[key] { return parts }
        let parts = try cache(size: size, seed: seed).ensure(components, progress: progress)
        loadedParts[key] = parts
        return parts
    }

    public func makeModel(for spec: ExperimentSpec) throws -> any VisionLanguageModel {
        let modelSeed = spec.seed &+ 0x4D4F_4445_4C00   // LoRA init and dropout streams, apart from the data seed
        switch spec.architecture {
        case .encoderBased:
            let connector = try ConnectorSpec(parsing: spec.connector)
            return try parts(size: spec.modelSize, seed: spec.seed, components: PretrainedComponent.encoderBased(connector: connector))
                .makeEncoderBasedModel(connector: connector, seed: modelSeed)
        case .encoderFree:
            return try parts(size: spec.modelSize, seed: spec.seed, components: PretrainedComponent.encoderFree)
                .makeEncoderFreeModel(seed: modelSeed)
        }
    }

    /// Builds (or, with `force`, rebuilds) every part the tables use for `size` and `seed`:
    /// the vision encoder, language model, the three connectors of Table 3, image tokenizer
    /// and unified decoder. Returns a summary of the manifest.
    public func prepare(size: ModelSize, seed: UInt64, force: Bool) throws -> String {
        let components = ["linear", "mlp2x_gelu", "mlp6x_gelu"].flatMap {
            PretrainedComponent.encoderBased(connector: try! ConnectorSpec(parsing: $0))
        } + PretrainedComponent.encoderFree
        let unique = components.reduce(into: [PretrainedComponent]()) { list, component in
            if !list.contains(component) { list.append(component) }
        }
        let cache = cache(size: size, seed: seed)
        let parts = force ? try cache.rebuild(unique, progress: progress) : try cache.ensure(unique, progress: progress)
        let lines = unique.compactMap { component -> String? in
            guard let record = parts.manifest.record(of: component) else { return nil }
            return "\(component): \(record.steps) steps, loss \(String(format: "%.4f", record.initialLoss)) -> \(String(format: "%.4f", record.finalLoss)), \(String(format: "%.1f", record.seconds)) s"
        }
        return (["Pretrained parts in \(cache.directory.path) (tokenizer: \(parts.tokenizer.vocabularySize) tokens)"] + lines)
            .joined(separator: "\n")
    }
}
