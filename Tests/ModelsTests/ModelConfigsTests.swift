// Model sizes: valid configs, parameter counts checked against closed-form formulas, the small
// size about four times the tiny one, and a context that holds the synthetic data.

import Datasets
import Models
import NN
import Testing

@Suite struct ModelConfigsTests {
    /// Closed form of the CLIP-layout ViT: patch conv, class and position embeddings, pre-norm,
    /// per block two LayerNorms, q/k/v/o with bias and the GELU MLP, post-norm.
    static func visionCount(_ c: VisionEncoderConfig) -> Int {
        let e = c.dimension, m = c.mlpDimension
        let embeddings = e * c.channels * c.patchSize * c.patchSize + e + (c.patchCount + 1) * e
        let block = 2 * 2 * e + 4 * (e * e + e) + (e * m + m) + (m * e + e)
        return embeddings + 2 * e + c.layers * block + 2 * e
    }

    /// Closed form of the Llama-style decoder with grouped-query attention.
    static func languageCount(_ c: LanguageModelConfig) -> Int {
        let d = c.dimension, kv = c.keyValueHeads * (d / c.heads)
        let block = d * d + 2 * d * kv + d * d + 3 * d * c.hiddenDimension + 2 * d
        return c.vocabularySize * d * (c.tieWordEmbeddings ? 1 : 2) + c.layers * block + d
    }

    @Test func configsAreValidAndCountsMatchTheFormulas() throws {
        let vocabulary = 600
        for size in ModelSize.allCases {
            let counts = try size.parameterCounts(textVocabularySize: vocabulary)
            try size.visionEncoder.validate()
            try size.imageTokenizer.validate()
            let language = size.languageModel(textVocabularySize: vocabulary)
            try language.validate()
            #expect(language.vocabularySize == vocabulary + size.imageTokenizer.codebookSize + 2)
            #expect(counts.visionEncoder == Self.visionCount(size.visionEncoder))
            #expect(counts.languageModel == Self.languageCount(language))
            #expect(counts.languageModelEmbeddings == 2 * language.vocabularySize * language.dimension)
            let (e, c) = (size.visionEncoder.dimension, language.dimension)
            #expect(counts.connectors["linear"] == e * c + c)
            #expect(counts.connectors["mlp2x_gelu"] == e * c + c + c * c + c)
            #expect(counts.connectors["mlp6x_gelu"] == e * c + c + 5 * (c * c + c))
            // LoRA rank 8 on the 7 Linear layers of each block: r·(in + out) each.
            let kv = language.keyValueHeads * (c / language.heads), h = language.hiddenDimension, r = 8
            let perBlock = r * ((c + c) + 2 * (c + kv) + (c + c) + 2 * (c + h) + (h + c))
            #expect(counts.loraAdapters == language.layers * perBlock)
            #expect(counts.encoderBasedTotal(connector: .linear) == counts.visionEncoder + e * c + c + counts.languageModel)
            #expect(counts.encoderFreeTotal == counts.imageTokenizer + counts.languageModel)
        }
    }

    @Test func smallIsAboutFourTimesTiny() throws {
        let tiny = try ModelSize.tiny.parameterCounts(textVocabularySize: 600)
        let small = try ModelSize.small.parameterCounts(textVocabularySize: 600)
        func ratio(_ a: Int, _ b: Int) -> Double { Double(a) / Double(b) }
        #expect((3.0...5.0).contains(ratio(small.visionEncoder, tiny.visionEncoder)))
        let tinyBody = tiny.languageModel - tiny.languageModelEmbeddings
        let smallBody = small.languageModel - small.languageModelEmbeddings
        #expect((3.0...5.0).contains(ratio(smallBody, tinyBody)))
        #expect((3.0...5.0).contains(ratio(small.encoderBasedTotal(connector: .mlpGELU(depth: 2))!,
                                            tiny.encoderBasedTotal(connector: .mlpGELU(depth: 2))!)))
    }

    @Test func parsingNamesTheValidSizes() throws {
        #expect(try ModelSize(parsing: "Tiny") == .tiny)
        #expect { try ModelSize(parsing: "huge") } throws: { "\($0)".contains("'huge'") && "\($0)".contains("tiny, small") }
        #expect(try PretrainingBudget(parsing: "QUICK") == .quick)
        #expect { try PretrainingBudget(parsing: "long") } throws: { "\($0)".contains("smoke, quick, full") }
    }

    @Test func contextHoldsTheLongestSyntheticSequences() throws {
        // Every smoke sample of every dataset, as the longer (encoder-free) sequence:
        // prompt + <soi> + 64 codes + <eoi> + answer + </s>, and the encoder-based one with 16 patches.
        var samples: [Sample] = []
        for kind in SyntheticDatasetKind.allCases { let d = try kind.generate(preset: .smoke, seed: 0); samples += d.train + d.test }
        let tokenizer = WordTokenizer(corpus: samples.flatMap { [$0.prompt, $0.answer] } + [ConversationTemplate.reference.promptText("")])
        for size in ModelSize.allCases {
            let context = size.languageModel(textVocabularySize: tokenizer.vocabularySize).maxSequenceLength
            let extra = max(size.imageTokenizer.tokensPerImage + 2, size.visionEncoder.patchCount)
            for sample in samples {
                let tokens = try ConversationTemplate.reference.tokenize(sample, tokenizer: tokenizer).ids.count - 1 + extra
                #expect(tokens <= context, "\(sample.id): \(tokens) positions > \(context)")
            }
        }
    }
}
