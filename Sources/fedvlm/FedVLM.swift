// The `fedvlm` command: run one experiment, build the pretrained cache, inspect and export
// datasets, list the tables the examples reproduce. See Docs/CLI.md.

import ArgumentParser
import Aggregators
import Datasets
import Experiments
import FedVLMCommands
import Federation
import Models
import Foundation
import Reports
import Tensors

@main
struct FedVLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedvlm",
        abstract: "Federated fine-tuning of vision-language models (FedVLMBench in Swift).",
        subcommands: [Run.self, Pretrain.self, Datasets.self, Tables.self])
}

/// A dataset and how to split it (datasets stats / export).
struct DatasetSelection: ParsableArguments {
    @Argument(help: "Dataset name.") var dataset: String
    @Option(help: "iid, non-iid, dirichlet or task.") var partition = "iid"
    @Option(help: "Dirichlet alpha.") var alpha: Double?
    @Option(help: "Clients.") var clients: Int?
    @Option(help: "smoke, quick or full.") var preset = "quick"
    @Option(help: "Seed.") var seed: UInt64 = 0

    func spec() throws -> ExperimentSpec {
        var spec = ExperimentSpec()
        spec.dataset = dataset
        spec.preset = try Preset(parsing: preset)
        spec.seed = seed
        spec.clients = clients
        spec.dirichletAlpha = alpha
        guard let kind = PartitionKind(rawValue: partition) else {
            throw ValidationError("unknown partition '\(partition)'; valid: iid, non-iid, dirichlet, task")
        }
        spec.partition = kind
        try spec.validate()
        return spec
    }
}

/// Options shared by commands that build models.
struct CommonOptions: ParsableArguments {
    @Option(help: "Directory of the pretrained-model cache (default: $FEDVLM_CACHE or ./fedvlm-cache).")
    var cache: String?
    @Flag(help: "Print only results.")
    var quiet = false
}

extension FedVLM {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one experiment from a JSON or YAML spec file and/or flags (flags override the file).")
        @Option(help: "Experiment spec file: .json, .yaml or .yml (see Docs/CLI.md).") var spec: String?
        @Option(help: ArgumentHelp(
            "Write the spec that --spec and the flags give to this file (.json, .yaml or .yml) and exit without running.",
            valueName: "file"))
        var writeSpec: String?
        @Option(help: "encoder-based or encoder-free.") var architecture: String?
        @Option(help: "linear, mlp2x_gelu, mlp6x_gelu, mlp{N}x_gelu, identity.") var connector: String?
        @Option(help: "F-C, F-L, F-CL or F-2stage.") var strategy: String?
        @Option(help: "fedavg, fedprox, fedavgm, fedadam, fedyogi, fedadagrad, scaffold, fednova, fedmedian, trimmedmean, krum, or central.")
        var algorithm: String?
        @Option(name: .customLong("option"), help: "Algorithm option key=value (repeatable), e.g. --option mu=0.01.")
        var algorithmOptions: [String] = []
        @Option(help: "reference or flower.") var convention: String?
        @Option(help: "fed-fgvc, fed-sciencecap, fed-slake, fed-radgenome, fed-nature, fed-med.") var dataset: String?
        @Option(help: "iid, non-iid, dirichlet, task.") var partition: String?
        @Option(help: "Dirichlet alpha.") var alpha: Double?
        @Option(help: "Number of clients.") var clients: Int?
        @Option(help: "Federated rounds.") var rounds: Int?
        @Option(help: "Local steps per round (instead of epochs).") var localSteps: Int?
        @Option(help: "Local epochs per round.") var localEpochs: Int?
        @Option(help: "Learning rate.") var learningRate: Float?
        @Option(help: "teacher-forced or generated.") var evaluation: String?
        @Option(help: "smoke, quick or full.") var preset: String?
        @Option(help: "Seed.") var seed: UInt64?
        @Option(help: "Directory for result.json and rounds.csv.") var output: String = "results/run"
        @OptionGroup var common: CommonOptions

        func makeSpec() throws -> ExperimentSpec {
            var spec = try self.spec.map { try ExperimentSpec.load(from: URL(fileURLWithPath: $0)) } ?? ExperimentSpec()
            if let architecture {
                guard let value = Models.Architecture(rawValue: architecture) else {
                    throw ValidationError("unknown architecture '\(architecture)'; valid: encoder-based, encoder-free")
                }
                spec.architecture = value
            }
            if let connector { spec.connector = connector }
            if let strategy { spec.strategy = strategy }
            if let algorithm { spec.algorithm = algorithm }
            for option in algorithmOptions {
                let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let value = Double(parts[1]) else {
                    throw ValidationError("--option '\(option)' must look like key=number")
                }
                spec.algorithmOptions[parts[0]] = value
            }
            if let convention {
                guard let value = Aggregators.Convention(rawValue: convention) else {
                    throw ValidationError("unknown convention '\(convention)'; valid: reference, flower")
                }
                spec.convention = value
            }
            if let dataset { spec.dataset = dataset }
            if let partition {
                guard let value = PartitionKind(rawValue: partition) else {
                    throw ValidationError("unknown partition '\(partition)'; valid: iid, non-iid, dirichlet, task")
                }
                spec.partition = value
            }
            if let alpha { spec.dirichletAlpha = alpha }
            if let clients { spec.clients = clients }
            if let rounds { spec.rounds = rounds }
            if let localSteps { spec.localSteps = localSteps }
            if let localEpochs { spec.localEpochs = localEpochs }
            if let learningRate { spec.learningRate = learningRate }
            if let evaluation {
                guard let value = EvaluationProtocol(rawValue: evaluation) else {
                    throw ValidationError("unknown evaluation '\(evaluation)'; valid: teacher-forced, generated")
                }
                spec.evaluation = value
            }
            if let preset { spec.preset = try Preset(parsing: preset) }
            if let seed { spec.seed = seed }
            try spec.validate()
            return spec
        }

        func run() throws {
            if let writeSpec {
                let file = URL(fileURLWithPath: writeSpec)
                try makeSpec().write(to: file)
                print("Wrote \(file.path)")
                return
            }
            BLAS.relaunchWithFastKernelsIfNeeded()
            let spec = try makeSpec()
            let display = ProgressDisplay(quiet: common.quiet)
            var tableOptions = TableOptions()
            tableOptions.cache = common.cache
            let runner = ExperimentRunner(models: tableOptions.modelProvider(preset: spec.preset, display: display))
            runner.log = { display.line($0) }
            runner.onClient = { label, round, position, count in display.status("\(label) round \(round) client \(position)/\(count)") }
            let result = try runner.run(spec)
            let directory = URL(fileURLWithPath: output)
            try ResultFiles.createDirectory(directory)
            try ResultFiles.writeJSON(result, to: directory.appendingPathComponent("result.json"))
            var csv = "round,learning_rate,mean_training_loss,bytes_up,bytes_down,seconds,metrics\n"
            for record in result.rounds {
                let metrics = record.evaluation.map { ExperimentRunner.summary($0) } ?? ""
                csv += "\(record.round),\(record.learningRate),\(record.meanTrainingLoss),\(record.bytesUp),\(record.bytesDown),\(String(format: "%.3f", record.seconds)),\"\(metrics)\"\n"
            }
            try ResultFiles.writeText(csv, to: directory.appendingPathComponent("rounds.csv"))
            print("\(spec.label): \(ExperimentRunner.summary(result.final)) in \(String(format: "%.1f", result.wallSeconds)) s, peak memory \(ProcessResources.megabytes(result.peakResidentBytes ?? 0))")
            print("Wrote \(directory.path)/result.json and rounds.csv")
        }
    }

    struct Pretrain: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Build (or rebuild) the cached pretrained parts for a preset.")
        @Option(help: "smoke, quick or full.") var preset = "quick"
        @Option(help: "tiny or small.") var size = "tiny"
        @Option(help: "Seed.") var seed: UInt64 = 0
        @Flag(help: "Rebuild even when a valid cache exists.") var force = false
        @OptionGroup var common: CommonOptions

        func run() throws {
            BLAS.relaunchWithFastKernelsIfNeeded()
            let preset = try Preset(parsing: preset)
            let display = ProgressDisplay(quiet: common.quiet)
            var tableOptions = TableOptions()
            tableOptions.cache = common.cache
            let provider = tableOptions.modelProvider(preset: preset, display: display)
            let summary = try provider.prepare(size: try Models.ModelSize(parsing: size), seed: seed, force: force)
            print(summary)
        }
    }

    struct Datasets: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List datasets, print statistics, export to the reference on-disk format.",
            subcommands: [List.self, Stats.self, Export.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Table 2 for the synthetic datasets.")
            func run() throws { print(try DatasetTable.table().markdown()) }
        }

        struct Stats: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Distribution and per-client statistics of one dataset.")
            @OptionGroup var selection: DatasetSelection
            func run() throws {
                let spec = try selection.spec()
                print(try DatasetTable.statistics(for: spec, runner: ExperimentRunner(models: UnusedModelProvider())))
            }
        }

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write a synthetic dataset as train/client_{i}.json, test/test.json and PNG images.")
            @OptionGroup var selection: DatasetSelection
            @Option(help: "Output directory.") var directory: String
            func run() throws {
                let spec = try selection.spec()
                let runner = ExperimentRunner(models: UnusedModelProvider())
                let data = try runner.dataset(for: spec)
                let partition = try runner.partition(data, for: spec)
                try ReferenceDatasetWriter.write(data, clients: partition.clients, to: URL(fileURLWithPath: directory))
                print("Wrote \(data.train.count) training samples in \(partition.clients.count) clients and \(data.test.count) test samples to \(directory)")
            }
        }
    }

    struct Tables: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tables the examples reproduce.")
        func run() {
            print("""
            Example           Reproduces                                                       Command
            table2            Table 2: dataset statistics                                      swift run table2
            table3            Table 3: connector ablation (linear/mlp2x/mlp6x x strategies)     swift run -c release table3 --preset quick
            table4            Table 4: strategies x algorithms x datasets x IID/non-IID         swift run -c release table4 --preset quick
            table5            Table 5: encoder-based vs encoder-free                           swift run -c release table5 --preset quick
            table6            Table 6: multitask Fed-Nature and Fed-Med                        swift run -c release table6 --preset quick
            dirichlet-sweep   Supplement: Fed-FGVC accuracy against Dirichlet alpha           swift run -c release dirichlet-sweep --preset quick
            Every example takes --preset smoke|quick|full, --seed, --only, --output; see Docs/Reproducing.md.
            """)
        }
    }
}
