// Causal scaled-dot-product attention through the autograd primitive
// `Variable.scaledDotProductAttention` (mask `.causal()`), forward alone and forward+backward.
// Shapes: B batch, H heads, T sequence length, D head dimension.
//   q, k, v [B, H, T, D] (all requiring gradients) -> out [B, H, T, D]; dOut [B, H, T, D] seeds backward.

import ArgumentParser
import Autograd
import Tensors

/// One attention configuration.
struct AttentionShape: Sendable {
    let batch: Int
    let heads: Int
    let sequenceLength: Int
    let headDimension: Int

    /// "b8 h8 t128 d64 causal", the row key shared with the PyTorch script.
    var label: String { "b\(batch) h\(heads) t\(sequenceLength) d\(headDimension) causal" }
    var shape: [Int] { [batch, heads, sequenceLength, headDimension] }

    static let standard: [AttentionShape] = [128, 256].map {
        AttentionShape(batch: 8, heads: 8, sequenceLength: $0, headDimension: 64)
    }
}

struct AttentionBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Milliseconds of causal scaled-dot-product attention, forward and forward+backward.")

    @OptionGroup var options: CommonOptions

    func run() throws {
        let environment = RunEnvironment.current()
        let repeats = options.repeats ?? 20, warmup = options.warmup ?? 2
        let minimumSample = options.minimumSampleMilliseconds / 1000
        var generator = RandomGenerator(seed: options.seed)
        var table = TextTable(title: "attention (Swift, Variable.scaledDotProductAttention, mask .causal()), median of \(repeats)",
                              columns: ["shape", "forward ms", "forward+backward ms", "backward ms"])
        var rows: [ResultRow] = []
        for configuration in AttentionShape.standard {
            let query = Variable(.randomNormal(configuration.shape, using: &generator), requiresGrad: true)
            let key = Variable(.randomNormal(configuration.shape, using: &generator), requiresGrad: true)
            let value = Variable(.randomNormal(configuration.shape, using: &generator), requiresGrad: true)
            let outputGradient = Tensor.randomNormal(configuration.shape, using: &generator)
            let inputs = [query, key, value]

            // Forward with gradient tracking on, as in training: the graph and the saved
            // probabilities are built, then dropped.
            let forward = measure(warmup: warmup, repeats: repeats, minimumSampleSeconds: minimumSample) {
                _ = Variable.scaledDotProductAttention(query: query, key: key, value: value, mask: .causal())
            }
            let forwardBackward = measure(warmup: warmup, repeats: repeats, minimumSampleSeconds: minimumSample) {
                for input in inputs { input.zeroGrad() }
                let output = Variable.scaledDotProductAttention(query: query, key: key, value: value, mask: .causal())
                output.backward(seed: outputGradient)
            }
            guard inputs.allSatisfy({ $0.grad?.shape == configuration.shape }) else {
                throw BenchmarkError("attention \(configuration.label): backward did not reach q, k and v")
            }

            let backwardMilliseconds = (forwardBackward.median - forward.median) * 1e3
            table.append([configuration.label, formatted(forward.median * 1e3, decimals: 2),
                          formatted(forwardBackward.median * 1e3, decimals: 2), formatted(backwardMilliseconds, decimals: 2)])
            var row = ResultRow()
            row.set("benchmark", "attention")
            row.set("implementation", "swift")
            row.set("case", configuration.label)
            row.set("batch", configuration.batch)
            row.set("heads", configuration.heads)
            row.set("seq", configuration.sequenceLength)
            row.set("head_dim", configuration.headDimension)
            row.set("causal", true)
            row.set("forward_ms", forward.median * 1e3)
            row.set("forward_backward_ms", forwardBackward.median * 1e3)
            row.set("forward_min_ms", forward.minimum * 1e3)
            row.set("forward_backward_min_ms", forwardBackward.minimum * 1e3)
            options.annotate(&row, timing: forwardBackward, warmup: warmup)
            environment.annotate(&row)
            rows.append(row)
        }
        emit(table: table, rows: rows, environment: environment, json: options.json,
             notes: ["q, k, v require gradients; backward ms = forward+backward − forward (medians)."])
    }
}
