// Reproduces the paper's Table 6 on the embedded synthetic data and prints it next to
// the paper's numbers with a verdict on each takeaway it touches. See Docs/Reproducing.md.
//   swift run -c release table6 --preset quick

import ArgumentParser
import FedVLMCommands

struct Table6: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "table6",
                                                    abstract: "Reproduce Table 6 of FedVLMBench.")
    @OptionGroup var options: TableOptions
    func run() throws { try TableExample.run(table: "table6", options: options) }
}

Table6.main()
