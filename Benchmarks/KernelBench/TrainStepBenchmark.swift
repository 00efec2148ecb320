// Tokens per second of one full training step of a Llama-style decoder (`Models.LanguageModel`):
// forward, mean next-token cross-entropy, backward, AdamW update.
// Shapes: B = 16 sequences, T = 128 tokens, V = 4096, C = 256, 4 layers, 4 heads (D = 64),
// SwiGLU hidden 1024, untied output head, no biases.
//   ids [B, T] -> logits [B, T, V]; targets [B, T] are the ids shifted by one position.

import ArgumentParser
import Autograd
import LoRAAdapters
import Models
import NN
import Tensors

struct TrainStepBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-step",
        abstract: "Tokens per second of a decoder training step (forward, backward, AdamW).")

    @OptionGroup var options: CommonOptions

    @Option(help: "Sequences per batch.")
    var batch = 16

    @Option(name: .customLong("seq"), help: "Tokens per sequence.")
    var sequenceLength = 128

    @Flag(help: "Also time LoRA fine-tuning (r 8, alpha 32 on q_proj and v_proj, base frozen) as a second row.")
    var lora = false

    func validate() throws {
        if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if sequenceLength < 1 { throw ValidationError("--seq must be at least 1, got \(sequenceLength)") }
    }

    /// The benchmarked model: vocabulary 4096, width 256, 4 layers of 4 heads, SwiGLU 1024.
    static func modelConfiguration(sequenceLength: Int) -> LanguageModelConfig {
        LanguageModelConfig(vocabularySize: 4096, dimension: 256, layers: 4, heads: 4, hiddenDimension: 1024,
                            maxSequenceLength: sequenceLength, rotaryBase: 10_000, normEpsilon: 1e-6,
                            tieWordEmbeddings: false)
    }

    /// The LoRA setting of the `--lora` row: rank 8, α 32, dropout 0.05 on q_proj and v_proj,
    /// every base parameter frozen (the paper's rank and α; q and v as in Hu et al., 2022).
    static let loraConfiguration = LoRAConfiguration(rank: 8, alpha: 32, dropout: 0.05,
                                                     targetModules: ["q_proj", "v_proj"], excludedModules: ["lm_head"])

    func run() throws {
        let environment = RunEnvironment.current()
        let repeats = options.repeats ?? 10, warmup = options.warmup ?? 2
        var table = TextTable(title: "train-step (Swift, Models.LanguageModel + AdamW lr 1e-3), median of \(repeats) steps",
                              columns: ["case", "parameters", "trainable", "step ms", "tokens/s", "first loss", "last loss"])
        var rows: [ResultRow] = []
        for useLoRA in lora ? [false, true] : [false] {
            let result = try measureTraining(useLoRA: useLoRA, warmup: warmup, repeats: repeats)
            table.append(result.cells)
            var row = result.row
            options.annotate(&row, timing: result.timing, warmup: warmup)
            environment.annotate(&row)
            rows.append(row)
        }
        let config = Self.modelConfiguration(sequenceLength: sequenceLength)
        var notes = [
            "Model: vocab \(config.vocabularySize), d_model \(config.dimension), \(config.layers) layers, \(config.heads) heads, "
                + "SwiGLU \(config.hiddenDimension), RMSNorm, rotary, untied head, no bias; batch \(batch) x seq \(sequenceLength).",
            "tokens/s = batch·seq / median step time (forward + backward + AdamW step).",
        ]
        if lora {
            let setting = Self.loraConfiguration
            notes.append("LoRA row: r \(setting.rank), alpha \(formatted(Double(setting.alpha), decimals: 0)), dropout "
                         + "\(setting.dropout) on \(setting.targetModules.joined(separator: ", ")); base frozen.")
        }
        emit(table: table, rows: rows, environment: environment, json: options.json, notes: notes)
    }

    /// Trains a freshly initialised model for `warmup + repeats` steps and times the last `repeats`.
    private func measureTraining(useLoRA: Bool, warmup: Int, repeats: Int) throws
        -> (row: ResultRow, cells: [String], timing: Timing) {
        let config = Self.modelConfiguration(sequenceLength: sequenceLength)
        let model = LanguageModel(config: config, seed: options.seed)
        if useLoRA {
            try LoRA.apply(to: model, configuration: Self.loraConfiguration, seed: RandomGenerator.derivedSeed(options.seed, 2))
        }
        model.train()
        let optimizer = AdamW(learningRate: 1e-3)
        let trainable = model.trainableParameters()
        let caseLabel = useLoRA ? "lora r8 a32 q,v" : "full"

        // All batches are drawn before timing starts: ids [B, T + 1] uniform over the vocabulary.
        var generator = RandomGenerator(seed: RandomGenerator.derivedSeed(options.seed, 1))
        let batches: [(inputs: IndexTensor, targets: IndexTensor)] = (0..<(warmup + repeats)).map { _ in
            let tokens = (0..<(batch * (sequenceLength + 1))).map { _ in Int32(generator.next() % UInt64(config.vocabularySize)) }
            var inputs: [Int32] = [], targets: [Int32] = []
            for sequence in 0..<batch {
                let start = sequence * (sequenceLength + 1)
                inputs += tokens[start..<(start + sequenceLength)]
                targets += tokens[(start + 1)...(start + sequenceLength)]
            }
            return (IndexTensor(shape: [batch, sequenceLength], values: inputs),
                    IndexTensor(shape: [batch, sequenceLength], values: targets))
        }

        var samples: [Double] = [], losses: [Float] = []
        for (index, batchData) in batches.enumerated() {
            var loss: Float = 0
            let seconds = secondsElapsed {
                for (_, parameter) in trainable { parameter.zeroGrad() }
                let logits = model(batchData.inputs)                              // [B, T, V]
                let objective = Variable.crossEntropy(logits: logits, targets: batchData.targets)
                objective.backward()
                optimizer.step(trainable)
                loss = objective.value.scalar
            }
            guard loss.isFinite else { throw BenchmarkError("train-step \(caseLabel): loss is \(loss) at step \(index)") }
            losses.append(loss)
            if index >= warmup { samples.append(seconds) }
        }
        let timing = Timing(samples: samples, callsPerSample: 1)
        let tokensPerSecond = Double(batch * sequenceLength) / timing.median
        let parameters = model.parameterCount(), trainableCount = model.parameterCount(trainableOnly: true)

        let cells = [caseLabel, grouped(parameters), grouped(trainableCount), formatted(timing.median * 1e3, decimals: 1),
                     formatted(tokensPerSecond, decimals: 0), formatted(Double(losses.first!), decimals: 4),
                     formatted(Double(losses.last!), decimals: 4)]
        var row = ResultRow()
        row.set("benchmark", "train-step")
        row.set("implementation", "swift")
        row.set("case", caseLabel)
        row.setDecoderShape(config)
        row.set("batch", batch)
        row.set("seq", sequenceLength)
        row.set("parameters", parameters)
        row.set("trainable_parameters", trainableCount)
        row.set("step_ms", timing.median * 1e3)
        row.set("min_step_ms", timing.minimum * 1e3)
        row.set("tokens_per_second", tokensPerSecond)
        row.set("first_loss", Double(losses.first!))
        row.set("last_loss", Double(losses.last!))
        return (row, cells, timing)
    }
}

extension ResultRow {
    /// The benchmark decoder's sizes (vocab, d_model, layers, heads, hidden), as both the
    /// train-step and generate rows report them.
    mutating func setDecoderShape(_ config: LanguageModelConfig) {
        set("vocab", config.vocabularySize)
        set("d_model", config.dimension)
        set("layers", config.layers)
        set("heads", config.heads)
        set("hidden", config.hiddenDimension)
    }
}
