// Tiny samples and models shared by the Models tests.

import Datasets
import Models
import Tensors

enum ModelFixtures {
    /// Four distinct solid-colour images, each with a question and an answer that depends on the image.
    static func colourSamples(size: Int = 8) -> [Sample] {
        let colours: [(String, [Float])] = [("red", [1, 0, 0]), ("green", [0, 1, 0]), ("blue", [0, 0, 1]), ("yellow", [1, 1, 0])]
        return colours.enumerated().map { index, entry in
            let (name, rgb) = entry
            var pixels: [Float] = []
            for c in 0..<3 { pixels += [Float](repeating: rgb[c], count: size * size) }
            return Sample(id: "colour-\(index)", image: Image(channels: 3, height: size, width: size, pixels: pixels),
                          conversations: [Turn(from: "human", value: "<image>\nWhat colour is the image?"),
                                          Turn(from: "gpt", value: "The answer is \(name).")],
                          task: .classification, category: name)
        }
    }

    static func tokenizer(for samples: [Sample]) -> WordTokenizer {
        WordTokenizer(corpus: samples.flatMap { [$0.prompt, $0.answer] } + [ConversationTemplate.reference.promptText("")])
    }

    static func encoderBasedConfig(vocabulary: Int, connector: ConnectorSpec = .mlpGELU(depth: 2), imageSize: Int = 8,
                                   maxSequenceLength: Int = 96) -> EncoderBasedConfig {
        EncoderBasedConfig(
            vision: VisionEncoderConfig(imageSize: imageSize, patchSize: 4, dimension: 16, layers: 2, heads: 2),
            language: LanguageModelConfig(vocabularySize: vocabulary, dimension: 32, layers: 2, heads: 4, keyValueHeads: 2,
                                          hiddenDimension: 64, maxSequenceLength: maxSequenceLength),
            connector: connector)
    }

    static func encoderBasedModel(samples: [Sample], seed: UInt64 = 7) throws -> EncoderBasedVLM {
        let tokenizer = tokenizer(for: samples)
        return try EncoderBasedVLM(config: encoderBasedConfig(vocabulary: tokenizer.vocabularySize), tokenizer: tokenizer, seed: seed)
    }
}
