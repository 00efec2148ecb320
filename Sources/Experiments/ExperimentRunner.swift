// Runs one experiment spec end to end: synthetic data -> partition -> pretrained model ->
// federated simulation (or the Central baseline) -> per-round log and final test metrics.

import Aggregators
import Datasets
import Federation
import Foundation
import Models
import Partitioners

/// Everything a run produced, as written to its JSON file.
public struct ExperimentResult: Codable, Sendable {
    public var spec: ExperimentSpec
    /// Library version that produced it.
    public var version: String
    /// Samples per client after partitioning.
    public var clientSampleCounts: [Int]
    public var testSampleCount: Int
    public var rounds: [RoundRecord]
    /// Test metrics after the last round.
    public var final: TestEvaluation
    /// Scalars that train and travel each round (the strategy's full set).
    public var communicatedParameters: Int
    public var bytesUp: Int
    public var bytesDown: Int
    /// Wall time of the federated (or central) training and evaluation, excluding data and model setup.
    public var wallSeconds: Double
    /// Peak resident memory of the process when the run ended (see `ProcessResources`).
    public var peakResidentBytes: Int?
}

/// The library version recorded in results.
public let fedVLMVersion = "0.1.0"

/// Builds the model an experiment starts from (the pretrained parts of `spec.modelSize`).
public protocol ModelProvider: AnyObject {
    func makeModel(for spec: ExperimentSpec) throws -> any VisionLanguageModel
}

/// Runs experiment specs, reusing generated datasets across runs. `run` may be called from
/// several threads at once (tables run independent experiments side by side); the callbacks
/// are then called from those threads too.
public final class ExperimentRunner: @unchecked Sendable {
    public let models: any ModelProvider
    /// Where spec algorithms are looked up; register your own aggregators in a copy of `.standard`.
    public var aggregators: AggregatorRegistry = .standard
    /// Receives one line per round (and per client when `verbose`).
    public var log: ((String) -> Void)?
    /// Called after each client: (run label, round, client position, clients in round).
    public var onClient: ((String, Int, Int, Int) -> Void)?
    private var datasets: [String: MultimodalDataset] = [:]
    /// Guards `datasets`, so each dataset is generated once even when runs go side by side.
    private let datasetLock = NSLock()

    public init(models: any ModelProvider) {
        self.models = models
    }

    /// The synthetic dataset of `spec` (cached by name, preset and seed).
    public func dataset(for spec: ExperimentSpec) throws -> MultimodalDataset {
        let key = "\(spec.dataset.lowercased())|\(spec.preset.rawValue)|\(spec.seed)"
        datasetLock.lock()
        defer { datasetLock.unlock() }
        if let cached = datasets[key] { return cached }
        let counts = spec.preset.sampleCounts
        let dataset: MultimodalDataset
        if spec.usesFashionMNIST {
            // Real 28x28 grayscale images, resized and made RGB for the vision encoder; the first
            // N of each split (the files are not sorted by class).
            var real = try FashionMNIST.load(imageSize: ModelSize.imageSize, trainLimit: counts.train, testLimit: counts.test)
            real.train = real.train.map { var sample = $0; sample.image = ImagePreprocessing.rgb(sample.image); return sample }
            real.test = real.test.map { var sample = $0; sample.image = ImagePreprocessing.rgb(sample.image); return sample }
            dataset = real
        } else {
            dataset = try spec.datasetKind().generate(trainCount: counts.train, testCount: counts.test, seed: spec.seed,
                                                      imageSize: ModelSize.imageSize)
        }
        datasets[key] = dataset
        return dataset
    }

    /// The number of clients `spec` uses: its own value, else the preset's cap of the dataset maximum.
    public static func clientCount(for spec: ExperimentSpec, info: DatasetInfo) -> Int {
        if let clients = spec.clients { return clients }
        switch spec.preset {
        case .smoke: return min(info.maxClients, 3)
        case .quick: return min(info.maxClients, 6)
        case .full: return info.maxClients
        }
    }

    /// Client sample indices for `spec` over `dataset.train`.
    public func partition(_ dataset: MultimodalDataset, for spec: ExperimentSpec) throws -> Partition {
        let clients = Self.clientCount(for: spec, info: dataset.info)
        let labels: [String]
        switch spec.partition {
        case .task: labels = dataset.train.map(\.task.rawValue)
        default: labels = dataset.train.map(\.category)
        }
        let partitioner: any Partitioner
        let seed = spec.seed &+ 17
        switch spec.partition {
        case .iid: partitioner = IIDPartitioner(seed: seed, stratified: true)
        case .nonIID: partitioner = AttributePartitioner(seed: seed)
        case .dirichlet:
            partitioner = DirichletPartitioner(alpha: spec.dirichletAlpha ?? 1,
                                               minPartitionSize: max(1, min(10, dataset.train.count / (4 * clients))), seed: seed)
        case .task: partitioner = TaskPartitioner()
        }
        do { return try partitioner.partition(labels: labels, clients: spec.partition == .task ? Set(labels).count : clients) } catch {
            throw ExperimentError("\(spec.label): partition failed: \(error)")
        }
    }

    /// Runs `spec` and returns its result.
    public func run(_ spec: ExperimentSpec) throws -> ExperimentResult {
        try spec.validate(aggregators: aggregators)
        let dataset = try dataset(for: spec)
        let partition = try partition(dataset, for: spec)
        let clients = partition.clients.map { indices in indices.map { dataset.train[$0] } }
        let model = try models.makeModel(for: spec)
        let strategy = try spec.fineTuningStrategy()
        let config = spec.federatedConfig()
        let simulation: FederatedSimulation
        if spec.isCentral {
            simulation = try FederatedSimulation.central(model: model, strategy: strategy, clients: clients,
                                                         testSamples: dataset.test, config: config)
        } else {
            let aggregator = try aggregators.make(name: spec.algorithm, convention: spec.convention,
                                                         options: spec.algorithmOptions)
            simulation = try FederatedSimulation(model: model, strategy: strategy, aggregator: aggregator, clients: clients,
                                                 testSamples: dataset.test, config: config)
        }
        let label = spec.label
        simulation.onClientFinished = { [weak self] round, position, count in self?.onClient?(label, round, position, count) }
        simulation.onRoundFinished = { [weak self] record in
            let metrics = record.evaluation.map { Self.summary($0) } ?? ""
            self?.log?("\(label) round \(record.round)/\(config.rounds) loss \(String(format: "%.4f", record.meanTrainingLoss)) \(metrics) (\(String(format: "%.1f", record.seconds)) s)")
        }
        let started = Date()
        let records = try simulation.run()
        let wall = Date().timeIntervalSince(started)
        guard let final = records.last?.evaluation else { throw ExperimentError("\(label): the last round was not evaluated") }
        return ExperimentResult(spec: spec, version: fedVLMVersion, clientSampleCounts: clients.map(\.count),
                                testSampleCount: dataset.test.count, rounds: records, final: final,
                                communicatedParameters: simulation.global.scalarCount,
                                bytesUp: records.reduce(0) { $0 + $1.bytesUp }, bytesDown: records.reduce(0) { $0 + $1.bytesDown },
                                wallSeconds: wall, peakResidentBytes: ProcessResources.peakResidentBytes())
    }

    /// "vqa accuracy 0.812, ..." for logs.
    public static func summary(_ evaluation: TestEvaluation) -> String {
        evaluation.tasks.keys.sorted().map { task in
            let metrics = evaluation.tasks[task]!
            let shown = ["accuracy", "cider", "rougeL", "meanIoU"].compactMap { name in
                metrics[name].map { "\(name) \(String(format: "%.3f", $0))" }
            }
            return "\(task): \(shown.joined(separator: ", "))"
        }.joined(separator: "; ")
    }
}

/// For runners used only for data (statistics, export): asking it for a model is an error.
public final class UnusedModelProvider: ModelProvider {
    public init() {}
    public func makeModel(for spec: ExperimentSpec) throws -> any VisionLanguageModel {
        throw ExperimentError("this runner was built for data only and cannot make models")
    }
}
