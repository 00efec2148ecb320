// Each pretraining stage lowers its loss on a tiny corpus, deterministically; the contrastive
// loss matches a direct computation.

import Autograd
import Datasets
import Foundation
import LoRAAdapters
@testable import Models
import NN
import Tensors
import Testing

@Suite struct PretrainingStagesTests {
    @Test func contrastiveLossMatchesDirectComputation() throws {
        // Prepare: three images, two with the same caption (positives of each other).
        let samples = Array(PretrainingFixtures.samples().prefix(3))
        let corpus = try PretrainingCorpus(samples: samples)
        let tokenizer = PretrainingFixtures.tokenizer(corpus)
        let model = ContrastiveImageTextModel(vision: PretrainingFixtures.vision, textVocabularySize: tokenizer.vocabularySize,
                                              jointDimension: 8, seed: 3)
        let pixels = try Pretraining.normalisedPixels(samples, config: PretrainingFixtures.vision)
        let captions = [tokenizer.encode("A red square."), tokenizer.encode("A red square."), tokenizer.encode("A green square.")]
        let keys = ["red", "red", "green"]

        // Execute
        let loss = model.loss(pixels: Variable(pixels), captions: captions, captionKeys: keys).value.scalar

        // Assert: recompute from the embeddings with plain arithmetic.
        let images = model.imageEmbeddings(Variable(pixels)).value.scalars
        let texts = model.textEmbeddings(captions).value.scalars
        let width = 8, scale = Float(1 / 0.07)
        for row in 0..<3 {       // unit length
            let norm = (0..<width).reduce(Float(0)) { $0 + images[row * width + $1] * images[row * width + $1] }
            #expect(abs(norm - 1) < 1e-4)
        }
        var logits = [[Float]](repeating: [Float](repeating: 0, count: 3), count: 3)
        for i in 0..<3 { for j in 0..<3 {
            logits[i][j] = scale * (0..<width).reduce(Float(0)) { $0 + images[i * width + $1] * texts[j * width + $1] }
        } }
        func crossEntropy(_ rows: [[Float]]) -> Float {
            var total: Float = 0
            for (i, row) in rows.enumerated() {
                let top = row.max()!
                let logSum = top + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
                let positives = (0..<3).filter { keys[$0] == keys[i] }
                for j in positives { total -= (row[j] - logSum) / Float(positives.count) }
            }
            return total / Float(rows.count)
        }
        let transposed = (0..<3).map { j in (0..<3).map { i in logits[i][j] } }
        let expected = 0.5 * (crossEntropy(logits) + crossEntropy(transposed))
        #expect(abs(loss - expected) < 1e-3 * max(1, abs(expected)))
    }

    @Test func visionEncoderStageLowersContrastiveLoss() throws {
        let corpus = try PretrainingFixtures.corpus()
        let tokenizer = PretrainingFixtures.tokenizer(corpus)
        let settings = StageSettings(steps: 40, batchSize: 8, learningRate: 3e-3)
        let result = try Pretraining.trainVisionEncoder(config: PretrainingFixtures.vision, corpus: corpus, tokenizer: tokenizer,
                                                        settings: settings, seed: 5)
        #expect(result.losses.count == 40)
        // Eight distinct captions in a batch of eight: chance is log 8 ≈ 2.08.
        #expect(result.initialLoss(window: 3) > 1.5)
        #expect(result.finalLoss(window: 5) < 0.5 * result.initialLoss(window: 3))

        let again = try Pretraining.trainVisionEncoder(config: PretrainingFixtures.vision, corpus: corpus, tokenizer: tokenizer,
                                                       settings: settings, seed: 5)
        #expect(again.losses == result.losses)
        #expect(again.module.parameterSet() == result.module.parameterSet())
    }

    @Test func languageModelStageLowersNextTokenLoss() throws {
        let corpus = try PretrainingFixtures.corpus()
        let tokenizer = PretrainingFixtures.tokenizer(corpus)
        let config = PretrainingFixtures.language(textVocabularySize: tokenizer.vocabularySize)
        var steps: [Int] = []
        let result = try Pretraining.trainLanguageModel(config: config, corpus: corpus, tokenizer: tokenizer,
                                                        settings: StageSettings(steps: 40, batchSize: 4, learningRate: 3e-3),
                                                        seed: 2, progress: { stage, step, total, _ in
                                                            #expect(stage == "language_model" && total == 40)
                                                            steps.append(step)
                                                        })
        #expect(steps == Array(1...40))
        // A random model starts near log V.
        #expect(abs(result.initialLoss(window: 1) - Foundation.log(Float(config.vocabularySize))) < 1)
        #expect(result.finalLoss(window: 5) < 0.4 * result.initialLoss(window: 3))
    }

    @Test func connectorAlignmentTrainsOnlyTheConnector() throws {
        let corpus = try PretrainingFixtures.corpus()
        let tokenizer = PretrainingFixtures.tokenizer(corpus)
        let language = PretrainingFixtures.language(textVocabularySize: tokenizer.vocabularySize)
        let vision = VisionEncoder(config: PretrainingFixtures.vision, seed: 1).parameterSet()
        let lm = try Pretraining.trainLanguageModel(config: language, corpus: corpus, tokenizer: tokenizer,
                                                    settings: StageSettings(steps: 60, batchSize: 4, learningRate: 3e-3), seed: 2)
        let lmParameters = lm.module.parameterSet()

        let result = try Pretraining.alignConnector(spec: .mlpGELU(depth: 2), vision: PretrainingFixtures.vision,
                                                    visionEncoder: vision, language: language, languageModel: lmParameters,
                                                    corpus: corpus, tokenizer: tokenizer,
                                                    settings: StageSettings(steps: 40, batchSize: 8, learningRate: 1e-2), seed: 4)
        // The frozen LM already knows the caption's wording; the connector first learns to stop
        // disturbing it and can add little more (a frozen 2-layer LM reads soft visual tokens
        // poorly; see Docs/Models.md), so the margin is modest: about 0.85 × in practice.
        #expect(result.finalLoss(window: 5) < 0.92 * result.initialLoss(window: 3))
        #expect(result.module.parameterSet().names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
        // The inputs are untouched (the stage copies them into its own model).
        #expect(lm.module.parameterSet() == lmParameters)
    }

    @Test func imageTokenizerStageLowersReconstructionLoss() throws {
        let corpus = try PretrainingFixtures.corpus()
        var reported: [Int] = []
        let result = try Pretraining.trainImageTokenizer(config: PretrainingFixtures.imageTokenizer, corpus: corpus,
                                                         settings: StageSettings(steps: 150, batchSize: 8, learningRate: 2e-3),
                                                         seed: 9, progress: { _, step, _, _ in reported.append(step) })
        #expect(reported == Array(0...150))
        // The codebook starts on encoder outputs, so the first loss is already moderate.
        #expect(result.finalLoss(window: 5) < 0.6 * result.initialLoss(window: 3))
    }

    @Test func unifiedDecoderAlignmentLowersCaptionLossAndKeepsLoRAOut() throws {
        let corpus = try PretrainingFixtures.corpus()
        let tokenizer = PretrainingFixtures.tokenizer(corpus)
        let language = PretrainingFixtures.language(textVocabularySize: tokenizer.vocabularySize)
        let vq = try Pretraining.trainImageTokenizer(config: PretrainingFixtures.imageTokenizer, corpus: corpus,
                                                     settings: StageSettings(steps: 30, batchSize: 8, learningRate: 3e-3), seed: 9)
        let lm = LanguageModel(config: language, seed: 2).parameterSet()
        let result = try Pretraining.alignUnifiedDecoder(imageTokenizer: PretrainingFixtures.imageTokenizer,
                                                         imageTokenizerParameters: vq.module.parameterSet(),
                                                         language: language, languageModel: lm, corpus: corpus,
                                                         tokenizer: tokenizer,
                                                         settings: StageSettings(steps: 40, batchSize: 4, learningRate: 3e-3),
                                                         seed: 6)
        #expect(result.finalLoss(window: 5) < 0.5 * result.initialLoss(window: 3))
        let names = result.module.parameterSet().names
        #expect(!names.contains(where: LoRA.isAdapterParameter))
        #expect(Set(names) == Set(LanguageModel(config: language, seed: 0).parameterSet().names))
    }

    @Test func badSettingsAndMisfitImagesThrowNamingTheProblem() throws {
        let corpus = try PretrainingFixtures.corpus()
        let tokenizer = PretrainingFixtures.tokenizer(corpus)
        #expect(throws: PretrainingError.self) {
            try Pretraining.trainVisionEncoder(config: PretrainingFixtures.vision, corpus: corpus, tokenizer: tokenizer,
                                               settings: StageSettings(steps: 1, batchSize: 0, learningRate: 1e-3), seed: 0)
        }
        do {
            let wide = VisionEncoderConfig(imageSize: 16, patchSize: 4, dimension: 16, layers: 2, heads: 2)
            _ = try Pretraining.trainVisionEncoder(config: wide, corpus: corpus, tokenizer: tokenizer,
                                                   settings: StageSettings(steps: 1, batchSize: 2, learningRate: 1e-3), seed: 0)
            Issue.record("expected an error for 8-pixel images and a 16-pixel encoder")
        } catch let error as ModelInputError {
            #expect(error.description.contains("shape-0") && error.description.contains("[3, 16, 16]"))
        }
        do {
            let short = LanguageModelConfig(vocabularySize: tokenizer.vocabularySize, dimension: 16, layers: 1, heads: 2,
                                            maxSequenceLength: 8)
            _ = try Pretraining.trainLanguageModel(config: short, corpus: corpus, tokenizer: tokenizer,
                                                   settings: StageSettings(steps: 1, batchSize: 2, learningRate: 1e-3), seed: 0)
            Issue.record("expected an error for texts longer than the context")
        } catch let error as PretrainingError {
            #expect(error.description.contains("corpus text 0") && error.description.contains("context of 8"))
        }
    }
}
