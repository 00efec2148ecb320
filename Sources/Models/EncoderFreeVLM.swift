// Encoder-free VLM in Show-o's layout (Xie et al., 2024, "Show-o: One Single Transformer to
// Unify Multimodal Understanding and Generation"): a frozen discrete image tokenizer (here a
// VQ-VAE, see VQTokenizer.swift) turns the image into token ids that share one vocabulary with
// the text; a single decoder reads the mixed sequence with full attention among the image
// tokens and causal attention everywhere else. Only the decoder is fine-tuned, with LoRA
// (the paper's encoder-free setting, Table 5).
//
// Unified vocabulary (textCount = tokenizer.vocabularySize, K = codebook size):
//   0..<textCount                text tokens
//   textCount + k                image code k (k < K)
//   textCount + K, textCount+K+1 <soi>, <eoi> (start and end of image)
// A sample's sequence: `<bos> prompt answer </s>` with its `<image>` placeholder replaced by
// `<soi> code_0 ... code_{N−1} <eoi>`; the image span (full attention) is the N codes.
// Shapes: B samples, N image tokens, T padded sequence, C model width, V vocabulary.
// Parameter prefixes: image_tokenizer.* (frozen), language_model.* (base frozen, LoRA trains).

import Autograd
import Datasets
import NN
import Tensors

/// Everything needed to build an encoder-free VLM.
public struct EncoderFreeConfig: Codable, Sendable, Equatable {
    public var imageTokenizer: VQTokenizerConfig
    /// The unified decoder; `vocabularySize` must cover text, image codes and the two markers.
    public var language: LanguageModelConfig
    public var lora: LoRAConfigurationBox

    public init(imageTokenizer: VQTokenizerConfig, language: LanguageModelConfig, lora: LoRAConfigurationBox = .init()) {
        self.imageTokenizer = imageTokenizer
        self.language = language
        self.lora = lora
    }
}

/// Where text tokens, image codes and the image markers sit in the shared vocabulary.
public struct UnifiedVocabulary: Sendable, Equatable, Codable {
    /// Text ids are 0..<textCount (the text tokenizer's vocabulary).
    public let textCount: Int
    /// K, the number of image codes.
    public let codebookSize: Int

    public init(textCount: Int, codebookSize: Int) {
        self.textCount = textCount
        self.codebookSize = codebookSize
    }

    /// The id of image code `code` (0..<K).
    public func id(ofCode code: Int) -> Int {
        precondition(code >= 0 && code < codebookSize, "UnifiedVocabulary: code \(code) outside 0..<\(codebookSize)")
        return textCount + code
    }
    /// `<soi>`, the start-of-image marker.
    public var startOfImage: Int { textCount + codebookSize }
    /// `<eoi>`, the end-of-image marker.
    public var endOfImage: Int { textCount + codebookSize + 1 }
    /// Ids used in all: text + K codes + 2 markers (the decoder's vocabulary must be at least this).
    public var count: Int { textCount + codebookSize + 2 }
    /// True for ids of the text tokenizer.
    public func isText(_ id: Int) -> Bool { id >= 0 && id < textCount }
}

/// A sample as one sequence of unified-vocabulary ids.
public struct MixedSequence: Sendable, Equatable {
    /// The sample's id.
    public var id: String
    /// `<bos> prompt-before-image <soi> codes <eoi> prompt-after-image [answer </s>]`.
    public var ids: [Int]
    /// Positions of the N image codes (full attention among them).
    public var imageSpan: Range<Int>
    /// Index in `ids` of the first answer token (`ids.count` when the answer is not included).
    public var answerStart: Int
}

public final class EncoderFreeVLM: Module, VisionLanguageModel {
    public let config: EncoderFreeConfig
    /// The discrete image tokenizer (frozen inside the VLM; train it first with `train(images:...)`).
    public let imageTokenizer: VQTokenizer
    /// The unified decoder over text and image ids.
    public let languageModel: LanguageModel
    public let tokenizer: any TextTokenizer
    public let template: ConversationTemplate
    public let vocabulary: UnifiedVocabulary
    public var architecture: Architecture { .encoderFree }

    /// Per-sample image codes, reused across rounds and clients (the tokenizer is frozen).
    /// Codebook indices per sample, reused across rounds and clients, and across models that
    /// share it (models built from one `PretrainedParts` do).
    public var imageCodeCache = FrozenOutputCache<[Int]>()
    /// Whether image codes are cached by sample id (on by default). The cache is dropped
    /// automatically when the tokenizer's weights are replaced or trained.
    public var cachesImageTokens = true

    /// Builds the model; LoRA adapters are attached to the decoder per `config.lora`.
    /// The image tokenizer and the decoder's base weights are frozen.
    /// - Throws: `ModuleError` naming the field when a config is invalid or the decoder's
    ///   vocabulary cannot hold text ids, image codes and the two markers.
    public init(config: EncoderFreeConfig, tokenizer: any TextTokenizer, template: ConversationTemplate = .reference,
                seed: UInt64) throws {
        try config.imageTokenizer.validate()
        try config.language.validate()
        let vocabulary = UnifiedVocabulary(textCount: tokenizer.vocabularySize, codebookSize: config.imageTokenizer.codebookSize)
        guard vocabulary.count <= config.language.vocabularySize else {
            throw ModuleError("EncoderFreeConfig: language.vocabularySize \(config.language.vocabularySize) is smaller than the unified vocabulary of \(vocabulary.count) (\(vocabulary.textCount) text tokens + \(vocabulary.codebookSize) image codes + <soi>, <eoi>)")
        }
        self.config = config
        self.tokenizer = tokenizer
        self.template = template
        self.vocabulary = vocabulary
        imageTokenizer = VQTokenizer(config: config.imageTokenizer, seed: RandomGenerator.derivedSeed(seed, 1))
        languageModel = LanguageModel(config: config.language, seed: RandomGenerator.derivedSeed(seed, 3))
        super.init()
        try attachLoRA(to: languageModel, configuration: config.lora.configuration, seed: RandomGenerator.derivedSeed(seed, 4))
        imageTokenizer.freeze()
    }

    public override var excludedProperties: Set<String> { ["config", "tokenizer", "template", "vocabulary"] }

    public func parameterNames(in group: ParameterGroup) -> [String] {
        namedParameters().map(\.0).filter { parameterGroup(of: $0) == group }
    }

    /// The group a parameter name belongs to: LoRA adapters of the decoder, or the frozen
    /// base (there is no connector).
    public func parameterGroup(of name: String) -> ParameterGroup {
        if name.hasPrefix("language_model.") && isLoRAParameter(name) { return .languageModelLoRA }
        return .frozenBase
    }

    // MARK: Inputs

    /// Codebook indices (0..<K, N per sample) of the samples' images, cached by sample id.
    /// - Throws: `ModelInputError` naming a sample whose image is not [C, S, S].
    public func imageCodes(_ samples: [Sample]) throws -> [[Int]] {
        let c = config.imageTokenizer.channels, s = config.imageTokenizer.imageSize
        for sample in samples {
            let image = sample.image
            guard image.channels == c, image.height == s, image.width == s else {
                throw ModelInputError("sample \(sample.id): image is [\(image.channels), \(image.height), \(image.width)] but the image tokenizer takes [\(c), \(s), \(s)]; resize with ImagePreprocessing first")
            }
        }
        guard cachesImageTokens else { return try imageTokenizer.encode(samples.map(\.image)) }
        // Keys pair the id with the image's content, so two datasets that reuse an id never share an entry.
        let keyed = samples.map { (FrozenOutputCache<[Int]>.key(id: $0.id, image: $0.image), $0) }
        let byKey = Dictionary(keyed, uniquingKeysWith: { first, _ in first })
        return try imageCodeCache.outputs(for: keyed.map(\.0), weights: imageTokenizer.namedParameters().map(\.1.value),
                                          revision: imageTokenizer.revision) { keys in
            try imageTokenizer.encode(keys.map { byKey[$0]!.image })
        }
    }

    /// Drops cached image codes (also dropped automatically when the tokenizer changes).
    public func clearImageTokenCache() { imageCodeCache.removeAll() }

    /// The samples as unified-vocabulary sequences (see the file header).
    /// - Parameter includeAnswer: false for generation prompts (ids end after "ASSISTANT:").
    /// - Throws: `ModelInputError` naming the sample for a prompt without exactly one
    ///   `<image>`, an image of the wrong size, or a sequence longer than the decoder's context.
    public func mixedSequences(_ samples: [Sample], includeAnswer: Bool) throws -> [MixedSequence] {
        let tokenized = try samples.map { try template.tokenize($0, tokenizer: tokenizer, includeAnswer: includeAnswer) }
        let codes = try imageCodes(samples)
        let imageLength = config.imageTokenizer.tokensPerImage
        return try zip(tokenized, codes).map { sample, sampleCodes in
            let p = sample.imagePosition
            let image = [vocabulary.startOfImage] + sampleCodes.map(vocabulary.id(ofCode:)) + [vocabulary.endOfImage]
            let ids = Array(sample.ids[..<p]) + image + Array(sample.ids[(p + 1)...])
            guard ids.count <= config.language.maxSequenceLength else {
                throw ModelInputError("sample \(sample.id): \(ids.count) positions (prompt, \(imageLength) image tokens with <soi>/<eoi> and answer) exceed the context of \(config.language.maxSequenceLength)")
            }
            // Everything after the placeholder moves right by the N + 1 extra image positions.
            return MixedSequence(id: sample.id, ids: ids, imageSpan: (p + 1)..<(p + 1 + imageLength),
                                 answerStart: sample.answerStart + imageLength + 1)
        }
    }

    /// The mixed attention mask for right-padded sequences: causal, plus full attention
    /// inside each sequence's image span. Bias [B, 1, T, T].
    public static func mixedMask(lengths: [Int], paddedLength: Int, imageSpans: [Range<Int>?]) -> AttentionMask {
        AttentionMask(isCausal: false, bias: AttentionMasks.bias(lengths: lengths, paddedLength: paddedLength,
                                                                 leftPadded: false, fullSpans: imageSpans))
    }

    /// Logits [B, T, V] for id sequences right-padded with `<pad>` to the longest, under the
    /// mixed mask with the given image spans (nil: purely causal). The id-level forward pass
    /// that training and teacher-forced evaluation use.
    public func logits(sequences: [[Int]], imageSpans: [Range<Int>?]) -> Variable {
        precondition(sequences.count == imageSpans.count && !sequences.isEmpty,
                     "EncoderFreeVLM.logits: \(sequences.count) sequences for \(imageSpans.count) image spans")
        let lengths = sequences.map(\.count)
        let longest = lengths.max()!
        let pad = Int32(tokenizer.specialTokens.pad)
        let ids = IndexTensor(shape: [sequences.count, longest],
                              values: sequences.flatMap { $0.map(Int32.init) + Array(repeating: pad, count: longest - $0.count) })
        let mask = Self.mixedMask(lengths: lengths, paddedLength: longest, imageSpans: imageSpans)
        return languageModel.logits(languageModel.hiddenStates(languageModel.embed(ids), mask: mask))
    }

    /// Targets [B, T] for right-padded sequences: the answer token (or `</s>`) at the position
    /// before it, −100 elsewhere.
    func answerTargets(_ sequences: [MixedSequence]) -> IndexTensor {
        let longest = sequences.map(\.ids.count).max() ?? 0
        var targets = [Int32](repeating: -100, count: sequences.count * longest)
        for (b, sequence) in sequences.enumerated() {
            for i in sequence.answerStart..<sequence.ids.count { targets[b * longest + i - 1] = Int32(sequence.ids[i]) }
        }
        return IndexTensor(shape: [sequences.count, longest], values: targets)
    }

    /// Text of answer ids up to the first `</s>`; ids outside the text vocabulary (image codes
    /// or markers a poorly trained model may emit) read as `<unk>`.
    public func answerText(_ ids: [Int]) -> String {
        decodeAnswer(ids.map { vocabulary.isText($0) ? $0 : tokenizer.specialTokens.unknown })
    }

    // MARK: VisionLanguageModel

    public func loss(_ samples: [Sample]) throws -> Variable {
        let sequences = try mixedSequences(samples, includeAnswer: true)
        let logits = logits(sequences: sequences.map(\.ids), imageSpans: sequences.map(\.imageSpan))
        return Variable.crossEntropy(logits: logits, targets: answerTargets(sequences))
    }

    public func teacherForcedAnswers(_ samples: [Sample]) throws -> [String] {
        try withoutGradients {
            let sequences = try mixedSequences(samples, includeAnswer: true)
            let logits = logits(sequences: sequences.map(\.ids), imageSpans: sequences.map(\.imageSpan)).value
            return teacherForcedAnswerText(logits: logits, targets: answerTargets(sequences), decode: answerText)
        }
    }

    public func generateAnswers(_ samples: [Sample], options: GenerationOptions) throws -> [String] {
        try withoutGradients {
            let sequences = try mixedSequences(samples, includeAnswer: false)
            let prompts = sequences.map { languageModel.embed(IndexTensor($0.ids)).value }     // each [L_b, C]
            let ids = languageModel.generate(prompts: prompts, fullSpans: sequences.map(\.imageSpan),
                                             stopToken: tokenizer.specialTokens.eos, options: options)
            return ids.map(answerText)
        }
    }
}
