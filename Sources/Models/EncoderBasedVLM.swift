// Encoder-based VLM in LLaVA's layout (Liu et al., 2023, "Visual Instruction Tuning"):
// image -> frozen CLIP-style encoder (second-to-last layer, patch tokens) -> connector ->
// embeddings spliced into the prompt at the <image> placeholder -> language model.
// Shapes: B samples, N patches, E vision width, C language width, T padded sequence, V vocabulary.
// Parameter prefixes: vision_tower.*, connector.*, language_model.*.

import Autograd
import Datasets
import NN
import Tensors

/// Everything needed to build an encoder-based VLM.
public struct EncoderBasedConfig: Codable, Sendable, Equatable {
    public var vision: VisionEncoderConfig
    public var language: LanguageModelConfig
    public var connector: ConnectorSpec
    public var lora: LoRAConfigurationBox

    public init(vision: VisionEncoderConfig, language: LanguageModelConfig, connector: ConnectorSpec, lora: LoRAConfigurationBox = .init()) {
        self.vision = vision
        self.language = language
        self.connector = connector
        self.lora = lora
    }
}

/// Model inputs built from a batch of samples.
struct SequenceBatch {
    /// [B, T, C]
    var embeddings: Variable
    /// [B, T]: the id to predict at each position, −100 where nothing counts.
    var targets: IndexTensor
    var lengths: [Int]
}

public final class EncoderBasedVLM: Module, VisionLanguageModel {
    public let config: EncoderBasedConfig
    public let visionTower: VisionEncoder
    public let connector: Connector
    public let languageModel: LanguageModel
    public let tokenizer: any TextTokenizer
    public let template: ConversationTemplate
    public var architecture: Architecture { .encoderBased }

    /// Per-sample patch features [1, N, C] of the frozen encoder, reused across rounds and
    /// clients, and across models that share it (models built from one `PretrainedParts` do).
    public var featureCache = FrozenOutputCache<Tensor>()
    /// Whether frozen-encoder features are cached by sample id (on by default).
    public var cachesFrozenFeatures = true

    /// Builds the model; LoRA adapters are attached to the language model per `config.lora`.
    /// The vision tower is frozen; the connector trains; the language model's base is frozen.
    public init(config: EncoderBasedConfig, tokenizer: any TextTokenizer, template: ConversationTemplate = .reference,
                seed: UInt64) throws {
        try config.vision.validate()
        try config.language.validate()
        guard tokenizer.vocabularySize <= config.language.vocabularySize else {
            throw ModuleError("tokenizer has \(tokenizer.vocabularySize) tokens but the language model only \(config.language.vocabularySize)")
        }
        self.config = config
        self.tokenizer = tokenizer
        self.template = template
        visionTower = VisionEncoder(config: config.vision, seed: RandomGenerator.derivedSeed(seed, 1))
        connector = try Connector(spec: config.connector, inputDimension: config.vision.dimension,
                                  outputDimension: config.language.dimension, seed: RandomGenerator.derivedSeed(seed, 2))
        languageModel = LanguageModel(config: config.language, seed: RandomGenerator.derivedSeed(seed, 3))
        super.init()
        try attachLoRA(to: languageModel, configuration: config.lora.configuration, seed: RandomGenerator.derivedSeed(seed, 4))
        visionTower.freeze()
    }

    public override var excludedProperties: Set<String> { ["config", "tokenizer", "template"] }

    public func parameterNames(in group: ParameterGroup) -> [String] {
        namedParameters().map(\.0).filter { parameterGroup(of: $0) == group }
    }

    /// The group a parameter name belongs to.
    public func parameterGroup(of name: String) -> ParameterGroup {
        if name.hasPrefix("connector.") { return .connector }
        if name.hasPrefix("language_model.") && isLoRAParameter(name) { return .languageModelLoRA }
        return .frozenBase
    }

    // MARK: Inputs

    /// Images as a normalised tensor [B, C, S, S]; every image must already have the encoder's size.
    func imageTensor(_ samples: [Sample]) throws -> Tensor {
        let v = config.vision
        var values: [Float] = []
        values.reserveCapacity(samples.count * v.channels * v.imageSize * v.imageSize)
        for sample in samples {
            let image = sample.image
            guard image.channels == v.channels, image.height == v.imageSize, image.width == v.imageSize else {
                throw ModelInputError("sample \(sample.id): image is [\(image.channels), \(image.height), \(image.width)] but the vision encoder takes [\(v.channels), \(v.imageSize), \(v.imageSize)]; resize with ImagePreprocessing first")
            }
            values.append(contentsOf: ImageNormalization.clip.normalized(image))
        }
        return Tensor(shape: [samples.count, v.channels, v.imageSize, v.imageSize], scalars: values)
    }

    /// Connector output [B, N, C] for the samples' images; the frozen encoder's features are cached.
    func projectedImageFeatures(_ samples: [Sample]) throws -> Variable {
        // One reflection walk of the encoder serves both the frozen check and the cache key.
        let encoderParameters = visionTower.namedParameters()
        let encoderFrozen = !encoderParameters.contains { $0.1.requiresGrad }
        let features: Variable
        if encoderFrozen && cachesFrozenFeatures {
            // Keys pair the id with the image's content, so two datasets that reuse an id never
            // share an entry. Each image is encoded on its own: a GEMM's last bits can depend on
            // how many rows it has, and cached features must not depend on which batch (of which
            // run, when runs go side by side) asked first.
            let keyed = samples.map { (FrozenOutputCache<Tensor>.key(id: $0.id, image: $0.image), $0) }
            let byKey = Dictionary(keyed, uniquingKeysWith: { first, _ in first })
            let perSample = try featureCache.outputs(for: keyed.map(\.0), weights: encoderParameters.map(\.1.value)) { keys in
                try keys.map { key in
                    try withoutGradients { visionTower.patchFeatures(Variable(try imageTensor([byKey[key]!]))).value }
                }
            }
            features = Variable(Tensor.concatenate(perSample, axis: 0))
        } else if encoderFrozen {
            features = try withoutGradients { Variable(visionTower.patchFeatures(Variable(try imageTensor(samples))).value) }
        } else {
            features = visionTower.patchFeatures(Variable(try imageTensor(samples)))
        }
        return connector(features)
    }

    /// Drops cached encoder features (they are also dropped automatically when encoder weights are replaced).
    public func clearFeatureCache() { featureCache.removeAll() }

    /// Builds right-padded embeddings with image features spliced in, and the answer targets.
    func sequenceBatch(_ samples: [Sample], includeAnswer: Bool) throws -> (SequenceBatch, [TokenizedSample]) {
        let tokenized = try samples.map { try template.tokenize($0, tokenizer: tokenizer, includeAnswer: includeAnswer) }
        let patches = config.vision.patchCount
        let lengths = tokenized.map { $0.ids.count - 1 + patches }
        for (sample, length) in zip(tokenized, lengths) where length > config.language.maxSequenceLength {
            throw ModelInputError("sample \(sample.id): \(length) positions (prompt, \(patches) image tokens and answer) exceed the context of \(config.language.maxSequenceLength)")
        }
        let imageFeatures = try projectedImageFeatures(samples)                  // [B, N, C]
        let longest = lengths.max() ?? 0
        let width = config.language.dimension
        let pad = Int32(tokenizer.specialTokens.pad)
        let textLength = tokenized.map(\.ids.count).max() ?? 0
        let ids = IndexTensor(shape: [samples.count, textLength],
                              values: tokenized.flatMap { $0.ids.map(Int32.init) + Array(repeating: pad, count: textLength - $0.ids.count) })
        let textEmbeddings = languageModel.embed(ids)                           // [B, L, C]
        var rows: [Variable] = []
        var targets = [Int32](repeating: -100, count: samples.count * longest)
        for (b, sample) in tokenized.enumerated() {
            let text = textEmbeddings.sliced(axis: 0, b..<(b + 1))
            let p = sample.imagePosition, count = sample.ids.count
            var pieces: [Variable] = []
            if p > 0 { pieces.append(text.sliced(axis: 1, 0..<p)) }
            pieces.append(imageFeatures.sliced(axis: 0, b..<(b + 1)))
            if p + 1 < count { pieces.append(text.sliced(axis: 1, (p + 1)..<count)) }
            if lengths[b] < longest { pieces.append(Variable(.zeros([1, longest - lengths[b], width]))) }
            rows.append(Variable.concatenate(pieces, axis: 1))
            // Token i (> p) sits at position i − 1 + N; the position before an answer token predicts it.
            for i in max(sample.answerStart, p + 1)..<count {
                targets[b * longest + (i - 1 + patches) - 1] = Int32(sample.ids[i])
            }
        }
        let batch = SequenceBatch(embeddings: Variable.concatenate(rows, axis: 0),
                                  targets: IndexTensor(shape: [samples.count, longest], values: targets), lengths: lengths)
        return (batch, tokenized)
    }

    // MARK: VisionLanguageModel

    public func loss(_ samples: [Sample]) throws -> Variable {
        let (batch, _) = try sequenceBatch(samples, includeAnswer: true)
        let logits = languageModel.logits(languageModel.hiddenStates(batch.embeddings, mask: .causal()))
        return Variable.crossEntropy(logits: logits, targets: batch.targets)
    }

    public func teacherForcedAnswers(_ samples: [Sample]) throws -> [String] {
        try withoutGradients {
            let (batch, _) = try sequenceBatch(samples, includeAnswer: true)
            let logits = languageModel.logits(languageModel.hiddenStates(batch.embeddings, mask: .causal())).value
            return teacherForcedText(logits: logits, targets: batch.targets)
        }
    }

    public func generateAnswers(_ samples: [Sample], options: GenerationOptions) throws -> [String] {
        try withoutGradients {
            let (batch, _) = try sequenceBatch(samples, includeAnswer: false)
            let prompts = batch.lengths.enumerated().map { b, length in
                batch.embeddings.value.sliced(axis: 0, b..<(b + 1)).sliced(axis: 1, 0..<length).reshaped([length, -1])
            }
            let ids = languageModel.generate(prompts: prompts, fullSpans: Array(repeating: nil, count: samples.count),
                                             stopToken: tokenizer.specialTokens.eos, options: options)
            return ids.map { decodeAnswer($0) }
        }
    }

    /// Decodes argmax predictions at the counted target positions of each row.
    func teacherForcedText(logits: Tensor, targets: IndexTensor) -> [String] {
        teacherForcedAnswerText(logits: logits, targets: targets, decode: decodeAnswer)
    }
}

/// Argmax at the positions whose target counts, per row, decoded up to the first `</s>`.
func teacherForcedAnswerText(logits: Tensor, targets: IndexTensor, decode: ([Int]) -> String) -> [String] {
    let (batch, length) = (targets.shape[0], targets.shape[1])
    let predictions = logits.argmaxLastAxis()
    return (0..<batch).map { b in
        let positions = (0..<length).filter { targets.values[b * length + $0] != -100 }
        return decode(positions.map { predictions[b * length + $0] })
    }
}

/// Per-channel normalisation of images (CLIP's mean and standard deviation).
public struct ImageNormalization: Sendable, Equatable, Codable {
    public var mean: [Float]
    public var standardDeviation: [Float]
    public static let clip = ImageNormalization(mean: [0.48145466, 0.4578275, 0.40821073],
                                                standardDeviation: [0.26862954, 0.26130258, 0.27577711])
    /// (pixel − mean[c]) / std[c], channels-first; grayscale uses the first entry.
    public func normalized(_ image: Image) -> [Float] {
        let plane = image.height * image.width
        var values = image.pixels
        for c in 0..<image.channels {
            let (m, s) = (mean[min(c, mean.count - 1)], standardDeviation[min(c, standardDeviation.count - 1)])
            for i in (c * plane)..<((c + 1) * plane) { values[i] = (values[i] - m) / s }
        }
        return values
    }
}
