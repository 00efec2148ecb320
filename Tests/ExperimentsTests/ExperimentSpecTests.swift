import Datasets
import Experiments
import Federation
import Foundation
import Testing

@Suite struct ExperimentSpecTests {
    @Test func specFilesNameOnlyWhatTheyChange() throws {
        let json = #"{"dataset": "fed-fgvc", "partition": "dirichlet", "dirichletAlpha": 0.5, "algorithm": "fedprox", "algorithmOptions": {"mu": 0.1}, "preset": "smoke"}"#
        let spec = try JSONDecoder().decode(ExperimentSpec.self, from: Data(json.utf8))
        #expect(spec.dataset == "fed-fgvc" && spec.partition == .dirichlet && spec.dirichletAlpha == 0.5)
        #expect(spec.algorithmOptions == ["mu": 0.1] && spec.preset == .smoke)
        #expect(spec.strategy == "F-CL" && spec.connector == "mlp2x_gelu")
        try spec.validate()
        let config = spec.federatedConfig()
        #expect(config.rounds == Preset.smoke.rounds && config.localWork == Preset.smoke.localWork)
        // Round trip.
        let again = try JSONDecoder().decode(ExperimentSpec.self, from: JSONEncoder().encode(spec))
        #expect(again == spec)
    }

    @Test func typosAndBadValuesNameTheKey() {
        #expect { try JSONDecoder().decode(ExperimentSpec.self, from: Data(#"{"datset": "fed-fgvc"}"#.utf8)) }
            throws: { "\($0)".contains("unknown key 'datset'") && "\($0)".contains("dataset") }
        #expect { try JSONDecoder().decode(ExperimentSpec.self, from: Data(#"{"Algorithm": "fedavg"}"#.utf8)) }
            throws: { "\($0)".contains("did you mean 'algorithm'") }
        #expect { try JSONDecoder().decode(ExperimentSpec.self, from: Data(#"{"rounds": "ten"}"#.utf8)) }
            throws: { "\($0)".contains("'rounds'") }
        var spec = ExperimentSpec()
        spec.algorithm = "fedsgd"
        #expect { try spec.validate() } throws: { "\($0)".contains("fedsgd") && "\($0)".contains("fedavg") }
        spec = ExperimentSpec()
        spec.dataset = "fed-slake"
        spec.partition = .task
        #expect { try spec.validate() } throws: { "\($0)".contains("'partition'") && "\($0)".contains("valid partitions") }
        spec = ExperimentSpec()
        spec.architecture = .encoderFree
        spec.strategy = "F-C"
        #expect { try spec.validate() } throws: { "\($0)".contains("strategy") && "\($0)".contains("F-L") }
        spec = ExperimentSpec()
        spec.dataset = "fed-slake"
        spec.clients = 5
        #expect { try spec.validate() } throws: { "\($0)".contains("'clients'") && "\($0)".contains("at most 3") }
        spec = ExperimentSpec()
        spec.connector = "mlp2x_relu"
        #expect { try spec.validate() } throws: { "\($0)".contains("'connector'") && "\($0)".contains("mlp{N}x_gelu") }
        spec = ExperimentSpec()
        spec.partition = .dirichlet
        #expect { try spec.validate() } throws: { "\($0)".contains("dirichletAlpha") }
    }

    @Test func tablePlansCoverEveryPaperCellOnce() throws {
        for table in TableReproduction.tables {
            let reproduction = try TableReproduction(table: table, preset: .smoke, seed: 0)
            let runs = reproduction.plannedRuns()
            let covered = runs.flatMap(\.keys)
            #expect(Set(covered) == Set(reproduction.layout.cellKeys), "\(table)")
            #expect(covered.count == reproduction.layout.cellKeys.count, "\(table): a cell is planned twice")
            #expect(Set(runs.map(\.spec.label)).count == runs.count, "\(table): two runs share a label")
            for run in runs { try run.spec.validate() }
        }
        let table4 = try TableReproduction(table: "table4", preset: .smoke, seed: 0).plannedRuns()
        #expect(table4.count == 4 * 5 * 3 * 2)
        var filtered = try TableReproduction(table: "table4", preset: .smoke, seed: 0)
        filtered.only = ["F-CL fedavg fed-slake"]
        #expect(filtered.plannedRuns().count == 2)
        #expect { try TableReproduction(table: "table9", preset: .smoke, seed: 0) } throws: { "\($0)".contains("table3") }
    }
}
