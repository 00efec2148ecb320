// The model sizes the library pretrains and benchmarks: a `tiny` pair (encoder-based and
// encoder-free) that trains in minutes on a 2-core machine and a `small` pair with roughly
// four times the parameters. Both read 32 × 32 RGB images.
//
// Every size fixes the vision encoder, the image tokenizer and the language model's shape; the
// language model's vocabulary depends on the text tokenizer, so it is passed in:
//   decoder vocabulary V = text tokens + K image codes + <soi> + <eoi>
// One vocabulary for both architectures lets the encoder-based and the encoder-free model share
// one pretrained language model (the encoder-based model never uses the K + 2 extra rows).
// Parameter counts are computed from the modules (`ModelSize.parameterCounts`), and listed in
// Docs/Models.md ("Model sizes").

import LoRAAdapters
import NN

/// The sizes of pretrained model pairs the library builds.
public enum ModelSize: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// ViT 4 × 64, LM 4 × 128 (about 0.25 M + 0.6 M parameters before embeddings): a federated
    /// round over a few hundred samples takes seconds in release mode on 2 cores.
    case tiny
    /// ViT 4 × 128, LM 4 × 256: about four times `tiny`.
    case small

    /// Side of the square images every size reads (pixels).
    public static let imageSize = 32
    /// Colour channels of the images (RGB).
    public static let imageChannels = 3

    public var description: String { rawValue }

    /// Parses "tiny" or "small" (case-insensitive).
    /// - Throws: `ModuleError` naming the unknown size and the valid ones.
    public init(parsing text: String) throws {
        guard let size = ModelSize(rawValue: text.lowercased()) else {
            throw ModuleError("unknown model size '\(text)'; valid: \(ModelSize.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = size
    }

    /// The CLIP-layout vision encoder: patch 8 gives N = 16 patch tokens per 32-pixel image.
    public var visionEncoder: VisionEncoderConfig {
        switch self {
        case .tiny:
            return VisionEncoderConfig(imageSize: Self.imageSize, patchSize: 8, channels: Self.imageChannels,
                                       dimension: 64, layers: 4, heads: 4, mlpDimension: 256)
        case .small:
            return VisionEncoderConfig(imageSize: Self.imageSize, patchSize: 8, channels: Self.imageChannels,
                                       dimension: 128, layers: 4, heads: 4, mlpDimension: 512)
        }
    }

    /// The VQ image tokenizer of the encoder-free model: an 8 × 8 grid, 64 image tokens per image.
    public var imageTokenizer: VQTokenizerConfig {
        switch self {
        case .tiny:
            return VQTokenizerConfig(imageSize: Self.imageSize, channels: Self.imageChannels, hiddenChannels: 32,
                                     codeDimension: 16, codebookSize: 64)
        case .small:
            return VQTokenizerConfig(imageSize: Self.imageSize, channels: Self.imageChannels, hiddenChannels: 64,
                                     codeDimension: 32, codebookSize: 128)
        }
    }

    /// Longest sequence either architecture must hold: the reference system line (~35 tokens),
    /// 64 image codes with `<soi>`/`<eoi>` (encoder-free), a question and an answer such as
    /// "The coordinates are [0.12, 0.34, 0.56, 0.78]." (digits are single tokens). Rotary
    /// positions have no parameters, so a generous context costs nothing until it is used.
    public static let contextLength = 256

    /// The Llama-style language model (also the encoder-free model's unified decoder).
    /// - Parameter textVocabularySize: ids of the text tokenizer; the model's vocabulary adds
    ///   this size's image codes and the two image markers (see the file header).
    public func languageModel(textVocabularySize: Int) -> LanguageModelConfig {
        let vocabulary = UnifiedVocabulary(textCount: textVocabularySize, codebookSize: imageTokenizer.codebookSize).count
        switch self {
        case .tiny:
            return LanguageModelConfig(vocabularySize: vocabulary, dimension: 128, layers: 4, heads: 4, keyValueHeads: 2,
                                       hiddenDimension: 256, maxSequenceLength: Self.contextLength)
        case .small:
            return LanguageModelConfig(vocabularySize: vocabulary, dimension: 256, layers: 4, heads: 8, keyValueHeads: 4,
                                       hiddenDimension: 512, maxSequenceLength: Self.contextLength)
        }
    }

    /// The encoder-based (LLaVA) configuration of this size.
    public func encoderBased(textVocabularySize: Int, connector: ConnectorSpec,
                             lora: LoRAConfigurationBox = .init()) -> EncoderBasedConfig {
        EncoderBasedConfig(vision: visionEncoder, language: languageModel(textVocabularySize: textVocabularySize),
                           connector: connector, lora: lora)
    }

    /// The encoder-free (Show-o) configuration of this size.
    public func encoderFree(textVocabularySize: Int, lora: LoRAConfigurationBox = .init()) -> EncoderFreeConfig {
        EncoderFreeConfig(imageTokenizer: imageTokenizer, language: languageModel(textVocabularySize: textVocabularySize),
                          lora: lora)
    }

    /// Parameter counts of this size's parts, computed by building the modules.
    /// - Parameters:
    ///   - textVocabularySize: the text tokenizer's size (the language model's embedding and
    ///     output head grow by 2 · C per token).
    ///   - connectors: the connector specs to count.
    ///   - lora: the adapters whose trainable size is reported.
    public func parameterCounts(textVocabularySize: Int,
                                connectors: [ConnectorSpec] = [.linear, .mlpGELU(depth: 2), .mlpGELU(depth: 6)],
                                lora: LoRAConfiguration = LoRAConfiguration()) throws -> ModelParameterCounts {
        let language = languageModel(textVocabularySize: textVocabularySize)
        let vision = VisionEncoder(config: visionEncoder, seed: 0).parameterCount()
        let tokenizer = VQTokenizer(config: imageTokenizer, seed: 0).parameterCount()
        let model = LanguageModel(config: language, seed: 0)
        let languageTotal = model.parameterCount()
        let embeddings = model.embedTokens.weight.value.scalarCount + (model.lmHead?.weight.value.scalarCount ?? 0)
        try LoRA.apply(to: model, configuration: lora, seed: 0)
        let adapters = LoRA.adapterParameters(of: model).scalarCount
        var connectorCounts: [String: Int] = [:]
        for spec in connectors {
            connectorCounts[spec.description] = try Connector(spec: spec, inputDimension: visionEncoder.dimension,
                                                              outputDimension: language.dimension, seed: 0).parameterCount()
        }
        return ModelParameterCounts(size: self, textVocabularySize: textVocabularySize,
                                    decoderVocabularySize: language.vocabularySize,
                                    visionEncoder: vision, languageModel: languageTotal,
                                    languageModelEmbeddings: embeddings, connectors: connectorCounts,
                                    imageTokenizer: tokenizer, loraAdapters: adapters)
    }
}

/// Parameter counts of one model size (see `ModelSize.parameterCounts`).
public struct ModelParameterCounts: Codable, Sendable, Equatable {
    public var size: ModelSize
    public var textVocabularySize: Int
    /// V = text + image codes + 2 markers.
    public var decoderVocabularySize: Int
    public var visionEncoder: Int
    /// Everything in the language model, embedding and output head included.
    public var languageModel: Int
    /// The embedding table and output head (2 · V · C): the part that grows with the vocabulary.
    public var languageModelEmbeddings: Int
    /// By connector spec ("linear", "mlp2x_gelu", ...).
    public var connectors: [String: Int]
    public var imageTokenizer: Int
    /// Trainable LoRA parameters on the language model (rank 8 on every Linear but lm_head by default).
    public var loraAdapters: Int

    /// The encoder-based model with the given connector (LoRA adapters excluded).
    public func encoderBasedTotal(connector: ConnectorSpec) -> Int? {
        connectors[connector.description].map { visionEncoder + $0 + languageModel }
    }

    /// The encoder-free model: image tokenizer and unified decoder (LoRA adapters excluded).
    public var encoderFreeTotal: Int { imageTokenizer + languageModel }
}
