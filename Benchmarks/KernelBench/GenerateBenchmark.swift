// Tokens per second of batched greedy decoding with the KV cache, through the library's public
// decoding path `LanguageModel.generate(prompts:fullSpans:stopToken:options:)`, on the decoder of
// `train-step` (vocabulary 4096, width 256, 4 layers, 4 heads of 64, SwiGLU hidden 1024).
// Shapes: B = 16 prompts of P = 64 random ids, N = 64 new tokens each (argmax, never stopping early).
//   ids [B, P] -> embeddings [B, P, C] -> one prompt [P, C] per sample -> generated ids [B][N]
//
// `generate` runs the prefill (the prompt forward that fills the cache, then the head on the last
// position) and the single-token steps in one call, so the two phases are told apart by timing the
// call twice: with N new tokens and with 1. The 1-token call is the prefill (time to the first
// token); the difference is the N − 1 decoding steps that produce the other tokens.

import ArgumentParser
import Autograd
import Models
import NN
import Tensors

struct GenerateBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Tokens per second of batched greedy decoding with the KV cache (prefill, then one token a step).")

    @OptionGroup var options: CommonOptions

    @Option(help: "Prompts decoded together.")
    var batch = 16

    @Option(name: .customLong("prompt"), help: "Tokens per prompt.")
    var promptLength = 64

    @Option(name: .customLong("new-tokens"), help: "Tokens generated per prompt (at least 2: the first comes from the prefill).")
    var newTokens = 64

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if promptLength < 1 { throw ValidationError("--prompt must be at least 1, got \(promptLength)") }
        if newTokens < 2 { throw ValidationError("--new-tokens must be at least 2, got \(newTokens)") }
    }

    /// A stop token no vocabulary id equals, so every prompt gets exactly `newTokens` tokens.
    static let neverStop = -1

    /// "b16 p64 n64 greedy", the row key shared with the PyTorch script.
    var caseLabel: String { "b\(batch) p\(promptLength) n\(newTokens) greedy" }

    func run() throws {
        let environment = RunEnvironment.current()
        let repeats = options.repeats ?? 10, warmup = options.warmup ?? 2
        let minimumSample = options.minimumSampleMilliseconds / 1000
        let config = TrainStepBenchmark.modelConfiguration(sequenceLength: promptLength + newTokens)
        let model = LanguageModel(config: config, seed: options.seed)
        model.eval()

        // Prompt ids [B, P], uniform over the vocabulary, drawn before timing starts.
        var generator = RandomGenerator(seed: RandomGenerator.derivedSeed(options.seed, 1))
        let promptIDs = IndexTensor(shape: [batch, promptLength], values: (0..<(batch * promptLength)).map { _ in
            Int32(generator.next() % UInt64(config.vocabularySize))
        })

        /// Embeds the prompts and decodes `count` tokens per prompt through the public path.
        func decode(_ count: Int) -> [[Int]] {
            withoutGradients {
                let embeddings = model.embed(promptIDs).value                                 // [B, P, C]
                let prompts = (0..<batch).map { sample in
                    embeddings.sliced(axis: 0, sample..<(sample + 1)).reshaped([promptLength, config.dimension])
                }
                return model.generate(prompts: prompts, fullSpans: Array(repeating: nil, count: batch),
                                      stopToken: Self.neverStop, options: GenerationOptions(maxNewTokens: count))
            }
        }

        // Greedy decoding is deterministic: the 1-token call must give each sequence's first token.
        let reference = decode(newTokens)
        guard reference.count == batch, reference.allSatisfy({ $0.count == newTokens }) else {
            throw BenchmarkError("generate \(caseLabel): expected \(batch) sequences of \(newTokens) tokens, got lengths "
                                 + "\(reference.map(\.count))")
        }
        guard decode(1).map(\.first) == reference.map(\.first) else {
            throw BenchmarkError("generate \(caseLabel): the 1-token call disagrees with the first generated tokens")
        }

        let prefill = measure(warmup: warmup, repeats: repeats, minimumSampleSeconds: minimumSample) { _ = decode(1) }
        let full = measure(warmup: warmup, repeats: repeats, minimumSampleSeconds: minimumSample) { _ = decode(newTokens) }

        let decodeSteps = newTokens - 1
        let decodeSeconds = full.median - prefill.median
        let decodeTokensPerSecond = Double(batch * decodeSteps) / decodeSeconds
        let totalTokensPerSecond = Double(batch * newTokens) / full.median
        let distinctTokens = Set(reference.joined()).count

        var table = TextTable(title: "generate (Swift, LanguageModel.generate, greedy, KV cache), median of \(repeats)",
                              columns: ["case", "prefill ms", "decode ms/step", "decode tok/s", "total ms", "total tok/s"])
        table.append([caseLabel, formatted(prefill.median * 1e3, decimals: 2),
                      formatted(decodeSeconds / Double(decodeSteps) * 1e3, decimals: 2),
                      formatted(decodeTokensPerSecond, decimals: 0), formatted(full.median * 1e3, decimals: 1),
                      formatted(totalTokensPerSecond, decimals: 0)])
        var row = ResultRow()
        row.set("benchmark", "generate")
        row.set("implementation", "swift")
        row.set("case", caseLabel)
        row.setDecoderShape(config)
        row.set("batch", batch)
        row.set("prompt", promptLength)
        row.set("new_tokens", newTokens)
        row.set("parameters", model.parameterCount())
        row.set("prefill_ms", prefill.median * 1e3)
        row.set("decode_ms", decodeSeconds * 1e3)
        row.set("decode_step_ms", decodeSeconds / Double(decodeSteps) * 1e3)
        row.set("decode_tokens_per_second", decodeTokensPerSecond)
        row.set("total_ms", full.median * 1e3)
        row.set("total_tokens_per_second", totalTokensPerSecond)
        row.set("min_prefill_ms", prefill.minimum * 1e3)
        row.set("min_total_ms", full.minimum * 1e3)
        row.set("distinct_generated_tokens", distinctTokens)
        options.annotate(&row, timing: full, warmup: warmup)
        environment.annotate(&row)

        emit(table: table, rows: [row], environment: environment, json: options.json, notes: [
            "Model: the train-step decoder (vocab \(config.vocabularySize), d_model \(config.dimension), \(config.layers) layers, "
                + "\(config.heads) heads, SwiGLU \(config.hiddenDimension)), \(grouped(model.parameterCount())) parameters; "
                + "batch \(batch), prompts of \(promptLength) random ids, \(newTokens) new tokens each, no early stop.",
            "prefill = time to the first token (prompt forward filling the cache, head, argmax) = a 1-token generate call;",
            "decode = the other \(decodeSteps) steps (\(newTokens)-token call − 1-token call, medians); decode tok/s = batch·"
                + "\(decodeSteps) / decode time; total tok/s = batch·\(newTokens) / \(newTokens)-token call.",
        ])
    }
}
