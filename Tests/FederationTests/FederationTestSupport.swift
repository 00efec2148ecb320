// Tiny federations for the runtime tests: colour-describing samples split over clients and a
// small encoder-based model. The samples are scored as captions (ROUGE-L, CIDEr), a graded
// metric that moves within the few rounds a unit test can afford, where exact-match accuracy
// of a randomly initialised model would still be 0.

import Datasets
import Federation
import Models
import Tensors

enum FederationFixtures {
    static let colours: [(String, [Float])] = [("red", [1, 0, 0]), ("green", [0, 1, 0]), ("blue", [0, 0, 1]), ("yellow", [1, 1, 0])]

    /// `perColour` samples of each colour at different brightness levels, ids prefixed by `prefix`.
    static func samples(perColour: Int, brightnessOffset: Float, prefix: String, size: Int = 8) -> [Sample] {
        var result: [Sample] = []
        for (colourIndex, (name, rgb)) in colours.enumerated() {
            for variant in 0..<perColour {
                let brightness = 0.55 + brightnessOffset + 0.1 * Float(variant)
                var pixels: [Float] = []
                for c in 0..<3 { pixels += [Float](repeating: rgb[c] * brightness, count: size * size) }
                result.append(Sample(id: "\(prefix)-\(colourIndex)-\(variant)",
                                     image: Image(channels: 3, height: size, width: size, pixels: pixels),
                                     conversations: [Turn(from: "human", value: "<image>\nWhat colour is the image?"),
                                                     Turn(from: "gpt", value: "The answer is \(name).")],
                                     task: .captioning, category: name))
            }
        }
        return result
    }

    /// Train samples dealt round-robin to `clients` clients (so each sees every colour), and a test set.
    static func federation(clients: Int) -> (clients: [[Sample]], test: [Sample]) {
        let train = samples(perColour: 4, brightnessOffset: 0, prefix: "train")
        var split = [[Sample]](repeating: [], count: clients)
        for (index, sample) in train.enumerated() { split[index % clients].append(sample) }
        return (split, samples(perColour: 2, brightnessOffset: 0.05, prefix: "test"))
    }

    static func model(seed: UInt64 = 7) throws -> EncoderBasedVLM {
        let all = samples(perColour: 1, brightnessOffset: 0, prefix: "vocabulary")
        let tokenizer = WordTokenizer(corpus: all.flatMap { [$0.prompt, $0.answer] } + [ConversationTemplate.reference.promptText("")])
        let config = EncoderBasedConfig(
            vision: VisionEncoderConfig(imageSize: 8, patchSize: 4, dimension: 16, layers: 2, heads: 2),
            language: LanguageModelConfig(vocabularySize: tokenizer.vocabularySize, dimension: 32, layers: 2, heads: 4,
                                          keyValueHeads: 2, hiddenDimension: 64, maxSequenceLength: 96),
            connector: .mlpGELU(depth: 2))
        return try EncoderBasedVLM(config: config, tokenizer: tokenizer, seed: seed)
    }

    static func config(rounds: Int = 3, seed: UInt64 = 1) -> FederatedConfig {
        FederatedConfig(rounds: rounds, localWork: .steps(10), batchSize: 4, learningRate: 3e-2, minimumLearningRate: 1e-2,
                        evaluateEvery: 1, evaluationBatchSize: 8, seed: seed)
    }
}
