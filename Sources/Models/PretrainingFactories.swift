// Building fine-tunable models from pretrained parts: fresh models of a `ModelSize` whose base
// weights come from the pretrained cache, with LoRA adapters attached after the base weights are
// loaded (the adapters stay freshly initialised, B = 0, so the model starts as its pretrained base).

import Datasets
import Foundation
import LoRAAdapters
import NN

extension PretrainedParts {
    /// An encoder-based VLM with the pretrained vision encoder, language model and `connector`.
    /// - Parameters:
    ///   - lora: adapters on the language model (fresh, drawn from `seed`).
    ///   - seed: the model's own random draws (LoRA initialisation, dropout streams).
    /// - Throws: `PretrainingError` when the parts lack a component or do not fit the size.
    public func makeEncoderBasedModel(connector: ConnectorSpec, lora: LoRAConfigurationBox = .init(),
                                      seed: UInt64) throws -> EncoderBasedVLM {
        let config = size.encoderBased(textVocabularySize: tokenizer.vocabularySize, connector: connector, lora: lora)
        let model = try EncoderBasedVLM(config: config, tokenizer: tokenizer, seed: seed)
        try Pretraining.loadPretrained(try parameters(of: .visionEncoder), into: model.visionTower, name: "vision encoder")
        try Pretraining.loadPretrained(try parameters(of: .languageModel), into: model.languageModel, name: "language model")
        try Pretraining.loadPretrained(try parameters(of: .connector(connector)), into: model.connector, name: "connector \(connector)")
        model.featureCache = frozenOutputs.encoderFeatures
        return model
    }

    /// An encoder-free VLM with the pretrained image tokenizer and unified decoder.
    public func makeEncoderFreeModel(lora: LoRAConfigurationBox = .init(), seed: UInt64) throws -> EncoderFreeVLM {
        let config = size.encoderFree(textVocabularySize: tokenizer.vocabularySize, lora: lora)
        let model = try EncoderFreeVLM(config: config, tokenizer: tokenizer, seed: seed)
        try Pretraining.loadPretrained(try parameters(of: .imageTokenizer), into: model.imageTokenizer, name: "image tokenizer")
        try Pretraining.loadPretrained(try parameters(of: .unifiedDecoder), into: model.languageModel, name: "unified decoder")
        model.imageCodeCache = frozenOutputs.imageCodes
        return model
    }
}

/// An encoder-based VLM of `size` built from the pretrained cache (training missing parts first).
/// - Throws: `PretrainingError` when `cache` holds another size, or pretraining fails.
public func makeEncoderBasedModel(size: ModelSize, connector: ConnectorSpec, lora: LoRAConfigurationBox = .init(),
                                  cache: PretrainedCache, seed: UInt64, progress: PretrainingProgress? = nil,
                                  warning: (String) -> Void = PretrainedCache.standardErrorWarning) throws -> EncoderBasedVLM {
    guard cache.size == size else {
        throw PretrainingError("makeEncoderBasedModel: size \(size) but the cache at \(cache.directory.path) holds \(cache.size) parts")
    }
    let parts = try cache.ensure(PretrainedComponent.encoderBased(connector: connector), progress: progress, warning: warning)
    return try parts.makeEncoderBasedModel(connector: connector, lora: lora, seed: seed)
}

/// An encoder-free VLM of `size` built from the pretrained cache (training missing parts first).
/// - Throws: `PretrainingError` when `cache` holds another size, or pretraining fails.
public func makeEncoderFreeModel(size: ModelSize, lora: LoRAConfigurationBox = .init(), cache: PretrainedCache,
                                 seed: UInt64, progress: PretrainingProgress? = nil,
                                 warning: (String) -> Void = PretrainedCache.standardErrorWarning) throws -> EncoderFreeVLM {
    guard cache.size == size else {
        throw PretrainingError("makeEncoderFreeModel: size \(size) but the cache at \(cache.directory.path) holds \(cache.size) parts")
    }
    let parts = try cache.ensure(PretrainedComponent.encoderFree, progress: progress, warning: warning)
    return try parts.makeEncoderFreeModel(lora: lora, seed: seed)
}

/// A progress display for pretraining: one line per stage start, then a line every
/// `interval` steps and at each stage's end ("[vision_encoder] 120/600  loss 2.3140  14.2 s").
/// Pass it as the `progress` argument; it writes to standard error by default.
public final class PretrainingProgressPrinter {
    private let interval: Int
    private let write: (String) -> Void
    private var currentStage = ""
    private var stageStart = ContinuousClock.now
    private var recentLosses: [Float] = []

    /// - Parameters:
    ///   - interval: print every this many steps (and always the last).
    ///   - write: where lines go (standard error by default).
    public init(interval: Int = 50, write: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        precondition(interval > 0, "PretrainingProgressPrinter: interval \(interval) must be positive")
        self.interval = interval
        self.write = write
    }

    /// The `PretrainingProgress` callback.
    public func report(stage: String, step: Int, of total: Int, loss: Float) {
        if stage != currentStage {
            currentStage = stage
            stageStart = .now
            recentLosses = []
            write("[\(stage)] training for \(total) steps")
        }
        guard step > 0 else { return }
        recentLosses.append(loss)
        if step % interval == 0 || step == total {
            let mean = recentLosses.reduce(0, +) / Float(recentLosses.count)
            let seconds = Pretraining.seconds(since: stageStart)
            write("[\(stage)] \(step)/\(total)  loss \(String(format: "%.4f", mean))  \(String(format: "%.1f", seconds)) s")
            recentLosses = []
        }
    }

    /// `report` as a closure for the `progress:` parameters.
    public var callback: PretrainingProgress { { [self] in report(stage: $0, step: $1, of: $2, loss: $3) } }
}
