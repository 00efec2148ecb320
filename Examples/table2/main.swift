// Table 2 for our datasets: tasks, what each stands for, maximum clients, instances per
// preset and metric, plus the distribution of one dataset and its per-client statistics.
//   swift run table2 --dataset fed-fgvc --partition non-iid --clients 10

import ArgumentParser
import Experiments
import FedVLMCommands

struct Table2: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "table2", abstract: "Dataset statistics (Table 2).")
    @Option(help: "Dataset whose distribution and client statistics to print.") var dataset = "fed-fgvc"
    @Option(help: "iid, non-iid, dirichlet or task.") var partition = "non-iid"
    @Option(help: "Dirichlet alpha (partition dirichlet).") var alpha: Double?
    @Option(help: "Number of clients (default: the preset's cap of the dataset maximum).") var clients: Int?
    @Option(help: "smoke, quick or full.") var preset = "quick"
    @Option(help: "Seed.") var seed: UInt64 = 0

    func run() throws {
        print(try DatasetTable.table().markdown())
        var spec = ExperimentSpec()
        spec.dataset = dataset
        spec.preset = try Preset(parsing: preset)
        spec.seed = seed
        spec.clients = clients
        guard let kind = PartitionKind(rawValue: partition) else {
            throw ValidationError("unknown partition '\(partition)'; valid: iid, non-iid, dirichlet, task")
        }
        spec.partition = kind
        spec.dirichletAlpha = alpha
        print(try DatasetTable.statistics(for: spec, runner: ExperimentRunner(models: UnusedModelProvider())))
    }
}

Table2.main()
