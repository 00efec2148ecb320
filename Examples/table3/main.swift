// Reproduces the paper's Table 3 on the embedded synthetic data and prints it next to
// the paper's numbers with a verdict on each takeaway it touches. See Docs/Reproducing.md.
//   swift run -c release table3 --preset quick

import ArgumentParser
import FedVLMCommands

struct Table3: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "table3",
                                                    abstract: "Reproduce Table 3 of FedVLMBench.")
    @OptionGroup var options: TableOptions
    func run() throws { try TableExample.run(table: "table3", options: options) }
}

Table3.main()
