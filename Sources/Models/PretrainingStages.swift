// The pretraining stages that give federated runs pretrained parts, as the paper's models
// start from CLIP, Llama and Show-o checkpoints (FedVLMBench, Sec. 5.1):
//   1. vision encoder: CLIP-style contrastive image-caption training (Radford et al., 2021);
//   2. language model: next-token prediction on the corpus conversations;
//   3. connector: LLaVA's first stage (Liu et al., 2023): encoder and LM frozen, the connector
//      learns to turn image features into words on captions;
//   4. image tokenizer: the VQ-VAE (van den Oord et al., 2017), trained by `VQTokenizer.train`;
//   5. unified decoder: Show-o's image-text alignment (Xie et al., 2024): the text-pretrained
//      decoder learns the image-code embeddings and to caption images given as codes.
// Every stage takes (config or pretrained inputs, corpus, settings, seed, progress) and returns
// the trained module with its per-step loss curve and wall time.
//
// Shapes in the contrastive stage: B images and captions, E vision width, P joint width,
// V text vocabulary.

import Autograd
import Datasets
import Foundation
import LoRAAdapters
import NN
import Tensors

/// Reports one optimisation step of a stage: stage name (a `PretrainingStage` raw value, or
/// "connector_<spec>"), step (1-based), total steps and the step's loss.
public typealias PretrainingProgress = (_ stage: String, _ step: Int, _ of: Int, _ loss: Float) -> Void

/// A trained module with its loss curve.
public struct StageResult<Trained: Module> {
    public let module: Trained
    /// The loss of every step, in order.
    public let losses: [Float]
    /// Wall-clock seconds of the stage.
    public let seconds: Double

    /// Mean loss of the first `window` steps (the curve's start).
    public func initialLoss(window: Int = 10) -> Float { Self.mean(losses.prefix(window)) }
    /// Mean loss of the last `window` steps (the curve's end).
    public func finalLoss(window: Int = 10) -> Float { Self.mean(losses.suffix(window)) }

    static func mean(_ values: ArraySlice<Float>) -> Float {
        values.isEmpty ? .nan : values.reduce(0, +) / Float(values.count)
    }
}

// MARK: - Contrastive model

/// CLIP's two towers over a `VisionEncoder` and a bag-of-words text encoder:
/// image embedding = normalise(W_i · pooled(image)), text embedding = normalise(W_t · mean of the
/// caption's token embeddings); similarity logits = exp(t) · I Tᵀ with a learnable temperature t
/// (initialised to log(1/0.07) and capped at log 100, as in CLIP).
///
/// The text tower is deliberately small (the captions are short descriptions with a small
/// vocabulary; word identity carries nearly all of their content) and is discarded after
/// training: only the vision encoder is kept.
public final class ContrastiveImageTextModel: Module {
    public let visionEncoder: VisionEncoder
    /// W_i [P, E], no bias.
    public let imageProjection: Linear
    /// Token embeddings [V, P] of the text tower.
    public let textEmbedding: Embedding
    /// W_t [P, P], no bias.
    public let textProjection: Linear
    /// t, a scalar stored as [1]; logits are scaled by exp(t).
    public let logitScale: Variable
    /// Largest exp(t) (CLIP clips the scale at 100).
    public static let maximumLogitScale: Float = 100

    public init(vision: VisionEncoderConfig, textVocabularySize: Int, jointDimension: Int, seed: UInt64) {
        visionEncoder = VisionEncoder(config: vision, seed: RandomGenerator.derivedSeed(seed, 1))
        var generator = RandomGenerator(seed: RandomGenerator.derivedSeed(seed, 2))
        imageProjection = Linear(vision.dimension, jointDimension, bias: false, generator: &generator)
        textEmbedding = Embedding(textVocabularySize, jointDimension, generator: &generator, std: 0.02)
        textProjection = Linear(jointDimension, jointDimension, bias: false, generator: &generator)
        logitScale = Variable(Tensor(shape: [1], scalars: [Foundation.log(1 / 0.07)]), requiresGrad: true)
    }

    /// Unit-length image embeddings [B, P] for normalised pixels [B, C, S, S].
    public func imageEmbeddings(_ pixels: Variable) -> Variable {
        Self.normalised(imageProjection(visionEncoder.pooledFeatures(pixels)))
    }

    /// Unit-length text embeddings [B, P] for token-id lists (one per caption, each non-empty).
    public func textEmbeddings(_ captions: [[Int]]) -> Variable {
        let vocabulary = textEmbedding.weight.shape[0]
        // Mean of token embeddings as a product: averaging weights [B, V] times the table [V, P].
        var weights = [Float](repeating: 0, count: captions.count * vocabulary)
        for (row, ids) in captions.enumerated() {
            precondition(!ids.isEmpty, "ContrastiveImageTextModel: caption \(row) has no tokens")
            for id in ids { weights[row * vocabulary + id] += 1 / Float(ids.count) }
        }
        let averaging = Variable(Tensor(shape: [captions.count, vocabulary], scalars: weights))
        return Self.normalised(textProjection(Variable.matmul(averaging, textEmbedding.weight)))
    }

    /// The symmetric InfoNCE loss of CLIP, with every pair of identical captions counted as a
    /// positive (the targets of a row are spread evenly over its positives, as in UniCL, Yang et
    /// al., 2022): synthetic captions repeat, and a duplicate caption of another image in the
    /// batch is not a negative. loss = ½ (CE(image → text) + CE(text → image)).
    /// - Parameter captionKeys: one key per pair; equal keys are positives of each other.
    public func loss(pixels: Variable, captions: [[Int]], captionKeys: [String]) -> Variable {
        let batch = captions.count
        precondition(pixels.shape[0] == batch && captionKeys.count == batch,
                     "ContrastiveImageTextModel.loss: \(pixels.shape[0]) images, \(batch) captions, \(captionKeys.count) keys")
        let images = imageEmbeddings(pixels)                                          // [B, P]
        let texts = textEmbeddings(captions)                                          // [B, P]
        let logits = Variable.matmul(images, texts, transposeB: true) * logitScale.exp()   // [B, B]
        var targets = [Float](repeating: 0, count: batch * batch)
        for i in 0..<batch {
            let positives = (0..<batch).filter { captionKeys[$0] == captionKeys[i] }
            for j in positives { targets[i * batch + j] = 1 / Float(positives.count) }
        }
        // The positive relation is symmetric, so the same target matrix serves both directions.
        let target = Variable(Tensor(shape: [batch, batch], scalars: targets))
        let imageToText = -(target * logits.logSoftmax()).sum() * (1 / Float(batch))
        let textToImage = -(target * logits.transposed(0, 1).logSoftmax()).sum() * (1 / Float(batch))
        return (imageToText + textToImage) * 0.5
    }

    /// x / ‖x‖ along the last axis.
    static func normalised(_ x: Variable) -> Variable {
        x / (x.squared().sum(axis: -1, keepDims: true) + 1e-12).sqrt()
    }

    /// Keeps exp(t) at most `maximumLogitScale` (called after each optimiser step).
    func clampLogitScale() {
        let cap = Foundation.log(Self.maximumLogitScale)
        logitScale.value = logitScale.value.clamped(min: -cap, max: cap)
    }
}

// MARK: - Stages

/// The pretraining stages (see the file header). Each is deterministic given its seed.
public enum Pretraining {
    /// Width of the joint image-text space of the contrastive stage.
    public static func jointDimension(for vision: VisionEncoderConfig) -> Int { vision.dimension }

    /// Stage 1: trains a vision encoder contrastively on the corpus's image-caption pairs.
    /// - Throws: `PretrainingError` for unusable settings or an empty corpus; `ModelInputError`
    ///   naming a sample whose image does not fit the encoder.
    public static func trainVisionEncoder(config: VisionEncoderConfig, corpus: PretrainingCorpus, tokenizer: any TextTokenizer,
                                          settings: StageSettings, seed: UInt64,
                                          progress: PretrainingProgress? = nil) throws -> StageResult<VisionEncoder> {
        let stage = PretrainingStage.visionEncoder.rawValue
        try settings.validate(stage: stage)
        try config.validate()
        let pairs = corpus.captionSamples
        let pixels = try normalisedPixels(pairs, config: config)                 // [M, C, S, S]
        let captions = pairs.map { tokenizer.encode($0.answer) }
        if let empty = captions.firstIndex(where: \.isEmpty) {
            throw PretrainingError("\(stage): caption of \(pairs[empty].id) has no tokens")
        }
        let keys = pairs.map { WordTokenizer.normalised($0.answer) }
        let model = ContrastiveImageTextModel(vision: config, textVocabularySize: tokenizer.vocabularySize,
                                              jointDimension: jointDimension(for: config), seed: seed)
        let losses = try optimise(model, stage: stage, settings: settings, count: pairs.count, seed: seed,
                                  progress: progress, afterStep: model.clampLogitScale) { batch in
            let images = Tensor.concatenate(batch.map { pixels.sliced(axis: 0, $0..<($0 + 1)) }, axis: 0)
            return model.loss(pixels: Variable(images), captions: batch.map { captions[$0] }, captionKeys: batch.map { keys[$0] })
        }
        return StageResult(module: model.visionEncoder, losses: losses.curve, seconds: losses.seconds)
    }

    /// Stage 2: trains a language model by next-token prediction on the corpus text
    /// (`<bos> text </s>`, every position counts).
    public static func trainLanguageModel(config: LanguageModelConfig, corpus: PretrainingCorpus, tokenizer: any TextTokenizer,
                                          settings: StageSettings, seed: UInt64,
                                          progress: PretrainingProgress? = nil) throws -> StageResult<LanguageModel> {
        let stage = PretrainingStage.languageModel.rawValue
        try settings.validate(stage: stage)
        try config.validate()
        guard tokenizer.vocabularySize <= config.vocabularySize else {
            throw PretrainingError("\(stage): the tokenizer has \(tokenizer.vocabularySize) ids but language.vocabularySize is \(config.vocabularySize)")
        }
        let sequences = try textSequences(corpus.texts, tokenizer: tokenizer, context: config.maxSequenceLength, stage: stage)
        let model = LanguageModel(config: config, seed: seed)
        let losses = try optimise(model, stage: stage, settings: settings, count: sequences.count, seed: seed,
                                  progress: progress) { batch in
            languageModelLoss(model, sequences: batch.map { sequences[$0] }, pad: tokenizer.specialTokens.pad)
        }
        return StageResult(module: model, losses: losses.curve, seconds: losses.seconds)
    }

    /// Stage 3 (LLaVA stage 1): trains a connector between a frozen pretrained vision encoder and
    /// a frozen pretrained language model with the encoder-based VLM's loss on caption samples.
    /// - Parameters:
    ///   - visionEncoder, languageModel: pretrained parameter sets (`vision_tower` /
    ///     `language_model` names without their prefixes).
    public static func alignConnector(spec: ConnectorSpec, vision: VisionEncoderConfig, visionEncoder: ParameterSet,
                                      language: LanguageModelConfig, languageModel: ParameterSet,
                                      corpus: PretrainingCorpus, tokenizer: any TextTokenizer, settings: StageSettings,
                                      seed: UInt64, progress: PretrainingProgress? = nil) throws -> StageResult<Connector> {
        let stage = "\(PretrainingStage.connector.rawValue)_\(spec)"
        try settings.validate(stage: stage)
        let model = try EncoderBasedVLM(config: EncoderBasedConfig(vision: vision, language: language, connector: spec),
                                        tokenizer: tokenizer, seed: seed)
        try loadPretrained(visionEncoder, into: model.visionTower, name: "vision encoder")
        try loadPretrained(languageModel, into: model.languageModel, name: "language model")
        model.freeze()
        model.connector.unfreeze()
        // The fresh LoRA adapters have B = 0 and stay frozen, so the language model is its base.
        model.eval()
        let samples = corpus.captionSamples
        let losses = try optimise(model, stage: stage, settings: settings, count: samples.count, seed: seed,
                                  progress: progress) { batch in
            try model.loss(batch.map { samples[$0] })
        }
        return StageResult(module: model.connector, losses: losses.curve, seconds: losses.seconds)
    }

    /// Stage 4: trains the VQ image tokenizer on the corpus images (`VQTokenizer.train`).
    public static func trainImageTokenizer(config: VQTokenizerConfig, corpus: PretrainingCorpus, settings: StageSettings,
                                           seed: UInt64, progress: PretrainingProgress? = nil) throws -> StageResult<VQTokenizer> {
        let stage = PretrainingStage.imageTokenizer.rawValue
        try settings.validate(stage: stage)
        try config.validate()
        let tokenizer = VQTokenizer(config: config, seed: RandomGenerator.derivedSeed(seed, 1))
        let start = ContinuousClock.now
        // `VQTokenizer.train` runs all steps in one call (its codebook initialisation and restarts
        // need the whole run), so the stage reports step 0 when it starts and every step's loss
        // when it returns.
        progress?(stage, 0, settings.steps, .nan)
        let curve = try tokenizer.train(images: corpus.images, steps: settings.steps, learningRate: settings.learningRate,
                                        batchSize: settings.batchSize, seed: RandomGenerator.derivedSeed(seed, 2))
        for (index, loss) in curve.enumerated() { progress?(stage, index + 1, settings.steps, loss) }
        try requireFinite(curve, stage: stage)
        return StageResult(module: tokenizer, losses: curve, seconds: seconds(since: start))
    }

    /// Stage 5 (Show-o's image-text alignment): starting from the text-pretrained language model
    /// and the trained image tokenizer, trains every base weight of the unified decoder on
    /// caption samples in image-token form, plus next-token prediction on corpus text so the
    /// decoder keeps its language (loss = caption loss + text loss). The image tokenizer stays frozen.
    public static func alignUnifiedDecoder(imageTokenizer: VQTokenizerConfig, imageTokenizerParameters: ParameterSet,
                                           language: LanguageModelConfig, languageModel: ParameterSet,
                                           corpus: PretrainingCorpus, tokenizer: any TextTokenizer, settings: StageSettings,
                                           seed: UInt64, progress: PretrainingProgress? = nil) throws -> StageResult<LanguageModel> {
        let stage = PretrainingStage.unifiedDecoder.rawValue
        try settings.validate(stage: stage)
        let model = try EncoderFreeVLM(config: EncoderFreeConfig(imageTokenizer: imageTokenizer, language: language),
                                       tokenizer: tokenizer, seed: seed)
        try loadPretrained(imageTokenizerParameters, into: model.imageTokenizer, name: "image tokenizer")
        try loadPretrained(languageModel, into: model.languageModel, name: "language model")
        model.freeze()
        model.languageModel.unfreeze { !LoRA.isAdapterParameter($0) }
        model.eval()
        let samples = corpus.captionSamples
        let texts = try textSequences(corpus.texts, tokenizer: tokenizer, context: language.maxSequenceLength, stage: stage)
        var textOrder = RandomGenerator(seed: RandomGenerator.derivedSeed(seed, 3))
        let losses = try optimise(model, stage: stage, settings: settings, count: samples.count, seed: seed,
                                  progress: progress) { batch in
            let textBatch = batch.map { _ in texts[Int(textOrder.next() % UInt64(texts.count))] }
            return try model.loss(batch.map { samples[$0] })
                + languageModelLoss(model.languageModel, sequences: textBatch, pad: tokenizer.specialTokens.pad)
        }
        let decoder = LanguageModel(config: language, seed: 0)
        try decoder.load(model.languageModel.parameterSet { !LoRA.isAdapterParameter($0) }, strict: true)
        return StageResult(module: decoder, losses: losses.curve, seconds: losses.seconds)
    }

    // MARK: Shared pieces

    /// Mean next-token cross-entropy of right-padded `<bos> … </s>` sequences.
    static func languageModelLoss(_ model: LanguageModel, sequences: [[Int]], pad: Int) -> Variable {
        let longest = sequences.map(\.count).max() ?? 0
        var inputs: [Int32] = [], targets: [Int32] = []
        for ids in sequences {
            let padding = longest - ids.count
            inputs += (ids.dropLast() + Array(repeating: pad, count: padding)).map(Int32.init)
            targets += ids.dropFirst().map(Int32.init) + Array(repeating: -100, count: padding)
        }
        let shape = [sequences.count, longest - 1]
        let logits = model(IndexTensor(shape: shape, values: inputs))
        return Variable.crossEntropy(logits: logits, targets: IndexTensor(shape: shape, values: targets))
    }

    /// `<bos> text </s>` ids of every text; throws naming the first text longer than the context.
    static func textSequences(_ texts: [String], tokenizer: any TextTokenizer, context: Int, stage: String) throws -> [[Int]] {
        guard !texts.isEmpty else { throw PretrainingError("\(stage): the corpus has no text") }
        return try texts.enumerated().map { index, text in
            let ids = tokenizer.encode(text, addingBOS: true, addingEOS: true)
            guard ids.count <= context else {
                throw PretrainingError("\(stage): corpus text \(index) has \(ids.count) tokens, more than the context of \(context)")
            }
            return ids
        }
    }

    /// CLIP-normalised pixels [M, C, S, S] of the samples' images.
    static func normalisedPixels(_ samples: [Sample], config: VisionEncoderConfig) throws -> Tensor {
        guard !samples.isEmpty else { throw PretrainingError("\(PretrainingStage.visionEncoder.rawValue): the corpus has no images") }
        var values: [Float] = []
        values.reserveCapacity(samples.count * config.channels * config.imageSize * config.imageSize)
        for sample in samples {
            let image = sample.image
            guard image.channels == config.channels, image.height == config.imageSize, image.width == config.imageSize else {
                throw ModelInputError("sample \(sample.id): image is [\(image.channels), \(image.height), \(image.width)] but the vision encoder takes [\(config.channels), \(config.imageSize), \(config.imageSize)]")
            }
            values += ImageNormalization.clip.normalized(image)
        }
        return Tensor(shape: [samples.count, config.channels, config.imageSize, config.imageSize], scalars: values)
    }

    /// Loads every base (non-LoRA) parameter of `module` from `set`.
    /// - Throws: `PretrainingError` naming the part and the first missing, unknown or misshapen parameter.
    static func loadPretrained(_ set: ParameterSet, into module: Module, name: String) throws {
        let base = module.namedParameters().map(\.0).filter { !LoRA.isAdapterParameter($0) }
        if let missing = base.first(where: { set[$0] == nil }) {
            throw PretrainingError("pretrained \(name): parameter \(missing) is missing (\(set.count) of \(base.count) present)")
        }
        do {
            try module.load(set)
        } catch {
            throw PretrainingError("pretrained \(name): \(error)")
        }
    }

    /// Runs `steps` AdamW steps (no weight decay; warm-up and cosine schedule) on the parameters
    /// of `model` that require gradients, with seeded batches drawn without replacement and
    /// reshuffled each epoch. Throws when a loss is not finite.
    static func optimise(_ model: Module, stage: String, settings: StageSettings, count: Int, seed: UInt64,
                         progress: PretrainingProgress?, afterStep: () -> Void = {},
                         loss: ([Int]) throws -> Variable) throws -> (curve: [Float], seconds: Double) {
        guard count > 0 else { throw PretrainingError("\(stage): no training examples") }
        let start = ContinuousClock.now
        let parameters = model.trainableParameters()
        precondition(!parameters.isEmpty, "\(stage): nothing to train")
        let optimizer = AdamW(learningRate: settings.learningRate, weightDecay: 0)
        var generator = RandomGenerator(seed: RandomGenerator.derivedSeed(seed, 0x0BA7C4))
        let batchSize = min(settings.batchSize, count)
        var order: [Int] = []
        var curve: [Float] = []
        curve.reserveCapacity(settings.steps)
        for step in 0..<settings.steps {
            if order.count < batchSize { order += generator.permutation(count) }
            let batch = Array(order.prefix(batchSize))
            order.removeFirst(batchSize)
            optimizer.learningRate = settings.schedule.rate(step: step, of: settings.steps)
            model.zeroGradients()
            let value = try loss(batch)
            let scalar = value.value.scalar
            guard scalar.isFinite else {
                throw PretrainingError("\(stage): loss is \(scalar) at step \(step + 1) of \(settings.steps); lower learningRate (\(settings.learningRate))")
            }
            value.backward()
            clipGradientNorm(parameters, maxNorm: 1)
            optimizer.step(parameters)
            afterStep()
            curve.append(scalar)
            progress?(stage, step + 1, settings.steps, scalar)
        }
        model.zeroGradients()
        return (curve, seconds(since: start))
    }

    static func requireFinite(_ curve: [Float], stage: String) throws {
        if let index = curve.firstIndex(where: { !$0.isFinite }) {
            throw PretrainingError("\(stage): loss is \(curve[index]) at step \(index + 1)")
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
