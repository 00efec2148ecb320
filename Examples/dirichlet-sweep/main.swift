// Fed-FGVC accuracy against the Dirichlet concentration alpha (the paper's supplementary
// figure), on the embedded synthetic data. See Docs/Reproducing.md.
//   swift run -c release dirichlet-sweep --preset quick

import ArgumentParser
import Experiments
import FedVLMCommands
import Tensors

struct DirichletSweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dirichlet-sweep",
                                                    abstract: "Fed-FGVC accuracy against Dirichlet alpha.")
    @OptionGroup var options: TableOptions
    @Option(parsing: .upToNextOption, help: "Alphas to sweep.")
    var alphas: [Double] = DirichletSweep.defaultAlphas

    func run() throws {
        BLAS.relaunchWithFastKernelsIfNeeded()
        let preset = try options.parsedPreset()
        let display = ProgressDisplay(quiet: options.quiet)
        let runner = ExperimentRunner(models: options.modelProvider(preset: preset, display: display))
        runner.log = { display.line($0) }
        let outcome = try DirichletSweep.run(runner: runner, preset: preset, seed: options.seed, alphas: alphas,
                                             jobs: options.jobs) { index, count, spec in
            display.line("[\(index)/\(count)] \(spec.label)")
        }
        let directory = options.outputDirectory(name: "dirichlet-sweep", preset: preset)
        print(try outcome.write(to: directory))
        print("Wrote \(directory.path)/{sweep.md, sweep.csv, sweep.svg, results.json, report.html}")
    }
}

DirichletSweepCommand.main()
