// Reproduces the paper's Table 5 on the embedded synthetic data and prints it next to
// the paper's numbers with a verdict on each takeaway it touches. See Docs/Reproducing.md.
//   swift run -c release table5 --preset quick

import ArgumentParser
import FedVLMCommands

struct Table5: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "table5",
                                                    abstract: "Reproduce Table 5 of FedVLMBench.")
    @OptionGroup var options: TableOptions
    func run() throws { try TableExample.run(table: "table5", options: options) }
}

Table5.main()
