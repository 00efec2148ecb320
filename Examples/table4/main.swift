// Reproduces the paper's Table 4 on the embedded synthetic data and prints it next to
// the paper's numbers with a verdict on each takeaway it touches. See Docs/Reproducing.md.
//   swift run -c release table4 --preset quick

import ArgumentParser
import FedVLMCommands

struct Table4: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "table4",
                                                    abstract: "Reproduce Table 4 of FedVLMBench.")
    @OptionGroup var options: TableOptions
    func run() throws { try TableExample.run(table: "table4", options: options) }
}

Table4.main()
