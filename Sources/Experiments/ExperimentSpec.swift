// One experiment as a value and as a JSON or YAML file (see ExperimentSpecFiles.swift):
// architecture, sizes, connector, strategy, algorithm and its options, dataset, partition,
// clients, rounds, local work, optimisation and evaluation settings, seed and preset. Every
// field has a default; a file names only what it changes. Unknown keys and impossible
// combinations are errors naming the key.

import Aggregators
import Datasets
import Federation
import Foundation
import Models

/// Size of everything an experiment does: data, rounds, local work, pretraining.
public enum Preset: String, Codable, Sendable, CaseIterable {
    /// Seconds per run; used by the tests.
    case smoke
    /// Minutes per table on a 2-core laptop (the default).
    case quick
    /// As close to the paper's protocol as a day of CPU allows.
    case full

    public init(parsing text: String) throws {
        guard let preset = Preset(rawValue: text.lowercased()) else {
            throw ExperimentError("unknown preset '\(text)'; valid: smoke, quick, full")
        }
        self = preset
    }

    /// Training and test samples drawn from the synthetic generator (before partitioning).
    public var sampleCounts: (train: Int, test: Int) {
        switch self {
        case .smoke: return (48, 24)
        case .quick: return (240, 96)
        case .full: return (2400, 600)
        }
    }

    /// Federated rounds (the paper: 50) and, for the Central baseline, epochs (the paper: 20).
    public var rounds: Int {
        switch self {
        case .smoke: return 2
        case .quick: return 6
        case .full: return 30
        }
    }

    public var localWork: LocalWork {
        switch self {
        case .smoke: return .steps(2)
        case .quick, .full: return .epochs(1)
        }
    }

    /// The pretraining budget the models start from.
    public var pretrainingBudget: PretrainingBudget {
        switch self {
        case .smoke: return .smoke
        case .quick: return .quick
        case .full: return .full
        }
    }
}

/// Errors in experiment specs and runs; messages name the key or the run.
public struct ExperimentError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// How the training data is split over clients.
public enum PartitionKind: String, Codable, Sendable, CaseIterable {
    /// Random, label-stratified (the paper's IID).
    case iid
    /// Whole categories per client (the paper's attribute non-IID).
    case nonIID = "non-iid"
    /// Label skew from Dirichlet(alpha).
    case dirichlet
    /// One task per client (the multitask datasets).
    case task
}

/// A complete experiment description.
public struct ExperimentSpec: Codable, Sendable, Equatable {
    public var architecture: Architecture = .encoderBased
    public var modelSize: ModelSize = .tiny
    /// Connector spec for encoder-based models ("linear", "mlp2x_gelu", "mlp6x_gelu", ...).
    public var connector: String = "mlp2x_gelu"
    /// "F-C", "F-L", "F-CL" or "F-2stage".
    public var strategy: String = "F-CL"
    /// F-2stage: fraction of the rounds spent on the connector.
    public var twoStageConnectorFraction: Double = 0.5
    /// An aggregator registry name ("fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", ...), or
    /// "central" for the Central baseline.
    public var algorithm: String = "fedavg"
    /// Options of the algorithm, e.g. {"mu": 0.01} or {"eta": 0.001}.
    public var algorithmOptions: [String: Double] = [:]
    /// "reference" (the paper's code) or "flower" (Flower 1.42's variants).
    public var convention: Convention = .reference
    /// Synthetic dataset name ("fed-slake", ...).
    public var dataset: String = "fed-slake"
    public var partition: PartitionKind = .iid
    /// Dirichlet concentration (partition "dirichlet").
    public var dirichletAlpha: Double? = nil
    /// Number of clients; nil means the dataset's maximum (Table 2).
    public var clients: Int? = nil
    /// nil: the preset's value.
    public var rounds: Int? = nil
    public var localEpochs: Int? = nil
    public var localSteps: Int? = nil
    public var batchSize: Int = 8
    public var learningRate: Float = 1e-3
    public var minimumLearningRate: Float = 1e-5
    public var cosineSchedule: Bool = true
    public var evaluation: EvaluationProtocol = .teacherForced
    public var seed: UInt64 = 0
    public var preset: Preset = .quick

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, modelSize, connector, strategy, twoStageConnectorFraction, algorithm, algorithmOptions
        case convention, dataset, partition, dirichletAlpha, clients, rounds, localEpochs, localSteps, batchSize
        case learningRate, minimumLearningRate, cosineSchedule, evaluation, seed, preset
    }

    /// Decodes a spec (from JSON or YAML), rejecting unknown and repeated keys (a typo must not
    /// silently fall back to a default) and naming the key whose value has the wrong type.
    public init(from decoder: Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        let any = try decoder.container(keyedBy: AnyKey.self)
        var seen = Set<String>()
        for key in any.allKeys where !seen.insert(key.stringValue).inserted {
            // YAML mappings can repeat a key; which value would win is not obvious.
            throw ExperimentError("key '\(key.stringValue)' appears more than once in experiment spec")
        }
        for key in any.allKeys where !known.contains(key.stringValue) {
            let close = known.filter { $0.lowercased() == key.stringValue.lowercased() }
            throw ExperimentError("unknown key '\(key.stringValue)' in experiment spec\(close.isEmpty ? "" : " (did you mean '\(close.first!)'?)"); valid keys: \(known.sorted().joined(separator: ", "))")
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        func value<T: Decodable>(_ key: CodingKeys, _ current: T) throws -> T {
            do { return try c.decodeIfPresent(T.self, forKey: key) ?? current } catch {
                throw ExperimentError("experiment spec key '\(key.stringValue)': \(Self.describe(error))")
            }
        }
        architecture = try value(.architecture, architecture)
        modelSize = try value(.modelSize, modelSize)
        connector = try value(.connector, connector)
        strategy = try value(.strategy, strategy)
        twoStageConnectorFraction = try value(.twoStageConnectorFraction, twoStageConnectorFraction)
        algorithm = try value(.algorithm, algorithm)
        algorithmOptions = try value(.algorithmOptions, algorithmOptions)
        convention = try value(.convention, convention)
        dataset = try value(.dataset, dataset)
        partition = try value(.partition, partition)
        dirichletAlpha = try value(.dirichletAlpha, dirichletAlpha)
        clients = try value(.clients, clients)
        rounds = try value(.rounds, rounds)
        localEpochs = try value(.localEpochs, localEpochs)
        localSteps = try value(.localSteps, localSteps)
        batchSize = try value(.batchSize, batchSize)
        learningRate = try value(.learningRate, learningRate)
        minimumLearningRate = try value(.minimumLearningRate, minimumLearningRate)
        cosineSchedule = try value(.cosineSchedule, cosineSchedule)
        evaluation = try value(.evaluation, evaluation)
        seed = try value(.seed, seed)
        preset = try value(.preset, preset)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        // Yams reports a scalar it cannot read as the type (`batchSize: eight`) as valueNotFound.
        case DecodingError.typeMismatch(let type, _), DecodingError.valueNotFound(let type, _):
            return "expected a value of type \(type)"
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        default: return "\(error)"
        }
    }

    /// True for the Central baseline.
    public var isCentral: Bool { algorithm.lowercased() == "central" }

    /// The parsed strategy.
    public func fineTuningStrategy() throws -> FineTuningStrategy {
        do { return try FineTuningStrategy(parsing: strategy, connectorFraction: twoStageConnectorFraction) } catch {
            throw ExperimentError("key 'strategy': \(error)")
        }
    }

    /// Datasets of real images (from Debian packages) that specs can name besides the synthetic ones.
    public static let realDatasets = ["fed-fashionmnist"]

    /// True for Fed-FashionMNIST (real images from the `dataset-fashion-mnist` package).
    public var usesFashionMNIST: Bool { dataset.lowercased() == "fed-fashionmnist" }

    /// The dataset generator.
    public func datasetKind() throws -> SyntheticDatasetKind {
        do { return try SyntheticDatasetKind(name: dataset) } catch {
            throw ExperimentError("key 'dataset': \(error); real-image datasets: \(Self.realDatasets.joined(separator: ", "))")
        }
    }

    /// Table 2 facts of the named dataset.
    public func datasetInfo() throws -> DatasetInfo {
        usesFashionMNIST ? FashionMNIST.info : try datasetKind().info
    }

    /// Throws naming the first key whose value is impossible or inconsistent with another.
    /// - Parameter aggregators: where `algorithm` is looked up (add your own to a copy of `.standard`).
    public func validate(aggregators: AggregatorRegistry = .standard) throws {
        let info = try datasetInfo()
        let strategyValue = try fineTuningStrategy()
        do { try strategyValue.validate(for: architecture) } catch { throw ExperimentError("keys 'strategy'/'architecture': \(error)") }
        if architecture == .encoderBased {
            do { _ = try ConnectorSpec(parsing: connector) } catch { throw ExperimentError("key 'connector': \(error)") }
        }
        if !isCentral {
            do { _ = try aggregators.make(name: algorithm, convention: convention, options: algorithmOptions) } catch {
                throw ExperimentError("key 'algorithm'/'algorithmOptions': \(error); or use \"central\"")
            }
        }
        let clientCount = clients ?? info.maxClients
        if clientCount < 1 { throw ExperimentError("key 'clients': \(clientCount) must be at least 1") }
        if clientCount > info.maxClients {
            throw ExperimentError("key 'clients': \(info.name) supports at most \(info.maxClients) clients (Table 2), got \(clientCount)")
        }
        switch partition {
        case .dirichlet:
            guard let alpha = dirichletAlpha, alpha > 0, alpha.isFinite else {
                throw ExperimentError("key 'dirichletAlpha': partition 'dirichlet' needs a positive alpha")
            }
        case .task:
            guard info.tasks.count > 1 else {
                throw ExperimentError("key 'partition': 'task' needs a multitask dataset (fed-nature, fed-med); \(info.name) has one task; valid partitions for it: iid, non-iid, dirichlet")
            }
        case .nonIID:
            guard clientCount <= info.categoryCount else {
                throw ExperimentError("key 'partition': non-iid gives whole \(info.partitionAttribute) values to clients; \(info.name) has \(info.categoryCount), fewer than \(clientCount) clients")
            }
        case .iid: break
        }
        if partition != .dirichlet && dirichletAlpha != nil {
            throw ExperimentError("key 'dirichletAlpha' is set but partition is '\(partition.rawValue)'")
        }
        if localEpochs != nil && localSteps != nil { throw ExperimentError("keys 'localEpochs' and 'localSteps' exclude each other") }
        if let epochs = localEpochs, epochs < 1 { throw ExperimentError("key 'localEpochs': \(epochs) must be at least 1") }
        if let steps = localSteps, steps < 1 { throw ExperimentError("key 'localSteps': \(steps) must be at least 1") }
        if let rounds, rounds < 1 { throw ExperimentError("key 'rounds': \(rounds) must be at least 1") }
        if batchSize < 1 { throw ExperimentError("key 'batchSize': \(batchSize) must be at least 1") }
        if !(learningRate > 0) { throw ExperimentError("key 'learningRate': \(learningRate) must be positive") }
        if !(minimumLearningRate >= 0 && minimumLearningRate <= learningRate) {
            throw ExperimentError("key 'minimumLearningRate': \(minimumLearningRate) must be in [0, learningRate]")
        }
    }

    /// The runtime configuration this spec implies.
    public func federatedConfig() -> FederatedConfig {
        let work: LocalWork = localSteps.map { .steps($0) } ?? localEpochs.map { .epochs($0) } ?? preset.localWork
        return FederatedConfig(rounds: rounds ?? preset.rounds, localWork: work, batchSize: batchSize,
                               learningRate: learningRate, minimumLearningRate: minimumLearningRate,
                               cosineSchedule: cosineSchedule, evaluateEvery: 1, evaluationProtocol: evaluation,
                               evaluationBatchSize: 32, maxNewTokens: 40, seed: seed)
    }

    /// A short label such as "F-CL FedAvg fed-slake iid".
    public var label: String {
        "\(architecture.rawValue) \(architecture == .encoderBased ? connector + " " : "")\(strategy) \(algorithm) \(dataset) \(partition.rawValue)\(dirichletAlpha.map { "(α=\($0))" } ?? "")"
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
