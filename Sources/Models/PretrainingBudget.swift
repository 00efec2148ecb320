// How much pretraining to do: the corpus size and, per stage, steps, batch size and learning
// rate. Three budgets as everywhere in the library: `smoke` (seconds, for tests), `quick`
// (minutes in release mode on 2 cores in total; the default), `full` (longer, better parts).
// Measured times are in Docs/Models.md ("Pretraining").

import Foundation

/// The pretraining stages, in the order they run. The raw values name the stages in progress
/// reports, the manifest and file names.
public enum PretrainingStage: String, Codable, Sendable, CaseIterable {
    /// Contrastive image-caption training of the vision encoder (CLIP-style).
    case visionEncoder = "vision_encoder"
    /// Next-token prediction on the corpus text.
    case languageModel = "language_model"
    /// LLaVA's first stage: only the connector trains, on captions.
    case connector
    /// The VQ-VAE image tokenizer on corpus images.
    case imageTokenizer = "image_tokenizer"
    /// Show-o-style image-text alignment of the unified decoder on captions in image-token form.
    case unifiedDecoder = "unified_decoder"
}

/// Optimisation settings of one stage.
public struct StageSettings: Codable, Sendable, Equatable {
    public var steps: Int
    public var batchSize: Int
    /// Peak learning rate of AdamW; the rate warms up linearly over `warmupSteps`, then follows
    /// a cosine down to a tenth of the peak.
    public var learningRate: Float
    public var warmupSteps: Int

    public init(steps: Int, batchSize: Int, learningRate: Float, warmupSteps: Int = 0) {
        self.steps = steps
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
    }

    /// Throws when a setting cannot be used, naming the stage and the field.
    public func validate(stage: String) throws {
        guard steps >= 0 else { throw PretrainingError("\(stage): steps \(steps) must be >= 0") }
        guard batchSize > 0 else { throw PretrainingError("\(stage): batchSize \(batchSize) must be positive") }
        guard learningRate > 0, learningRate.isFinite else {
            throw PretrainingError("\(stage): learningRate \(learningRate) must be positive and finite")
        }
        guard warmupSteps >= 0 else { throw PretrainingError("\(stage): warmupSteps \(warmupSteps) must be >= 0") }
    }

    /// The learning-rate schedule of the stage.
    var schedule: CosineScheduleSettings { CosineScheduleSettings(peak: learningRate, warmupSteps: warmupSteps) }
}

/// Linear warm-up then cosine decay to a tenth of the peak.
struct CosineScheduleSettings {
    var peak: Float
    var warmupSteps: Int
    func rate(step: Int, of total: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = max(1, total - warmupSteps)
        let progress = min(1, Float(step - warmupSteps) / Float(span))
        let minimum = peak / 10
        return minimum + (peak - minimum) * 0.5 * (1 + Foundation.cos(Float.pi * progress))
    }
}

/// Settings of every stage.
public struct PretrainingSchedule: Codable, Sendable, Equatable {
    public var visionEncoder: StageSettings
    public var languageModel: StageSettings
    public var connector: StageSettings
    public var imageTokenizer: StageSettings
    public var unifiedDecoder: StageSettings

    public init(visionEncoder: StageSettings, languageModel: StageSettings, connector: StageSettings,
                imageTokenizer: StageSettings, unifiedDecoder: StageSettings) {
        self.visionEncoder = visionEncoder
        self.languageModel = languageModel
        self.connector = connector
        self.imageTokenizer = imageTokenizer
        self.unifiedDecoder = unifiedDecoder
    }

    /// The settings of `stage`.
    public subscript(stage: PretrainingStage) -> StageSettings {
        switch stage {
        case .visionEncoder: return visionEncoder
        case .languageModel: return languageModel
        case .connector: return connector
        case .imageTokenizer: return imageTokenizer
        case .unifiedDecoder: return unifiedDecoder
        }
    }

    /// Throws naming the first stage with an unusable setting.
    public func validate() throws {
        for stage in PretrainingStage.allCases { try self[stage].validate(stage: stage.rawValue) }
    }
}

/// How much pretraining to do (see the file header).
public enum PretrainingBudget: String, Codable, Sendable, CaseIterable {
    case smoke
    case quick
    case full

    /// Parses "smoke", "quick" or "full" (case-insensitive).
    /// - Throws: `PretrainingError` naming the unknown budget and the valid ones.
    public init(parsing text: String) throws {
        guard let budget = PretrainingBudget(rawValue: text.lowercased()) else {
            throw PretrainingError("unknown pretraining budget '\(text)'; valid: \(PretrainingBudget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = budget
    }

    /// Corpus samples drawn from each of the six synthetic datasets.
    public var corpusSamplesPerDataset: Int {
        switch self {
        case .smoke: return 12
        case .quick: return 400
        case .full: return 2_000
        }
    }

    /// Steps, batch sizes and learning rates of every stage at this budget. Learning rates are the
    /// usual choices for each objective at this scale (CLIP-style and LM training 1e-3 to 2e-3 with
    /// warm-up; the VQ-VAE 2e-3); the connector uses 3e-3 (LLaVA's stage 1 uses 1e-3 at batch
    /// 256; at batch 16 3e-3 reached a lower caption loss in the same 300 steps, 1.9 against 2.1).
    /// `quick` steps stop where the loss curves of the tiny size flatten (Docs/Models.md).
    public var schedule: PretrainingSchedule {
        switch self {
        case .smoke:
            return PretrainingSchedule(
                visionEncoder: StageSettings(steps: 4, batchSize: 8, learningRate: 1e-3),
                languageModel: StageSettings(steps: 4, batchSize: 4, learningRate: 1e-3),
                connector: StageSettings(steps: 4, batchSize: 4, learningRate: 1e-3),
                imageTokenizer: StageSettings(steps: 4, batchSize: 8, learningRate: 2e-3),
                unifiedDecoder: StageSettings(steps: 4, batchSize: 4, learningRate: 3e-4))
        case .quick:
            return PretrainingSchedule(
                visionEncoder: StageSettings(steps: 600, batchSize: 64, learningRate: 1e-3, warmupSteps: 30),
                languageModel: StageSettings(steps: 400, batchSize: 16, learningRate: 2e-3, warmupSteps: 20),
                connector: StageSettings(steps: 300, batchSize: 16, learningRate: 3e-3, warmupSteps: 15),
                imageTokenizer: StageSettings(steps: 300, batchSize: 32, learningRate: 2e-3),
                unifiedDecoder: StageSettings(steps: 300, batchSize: 8, learningRate: 3e-4, warmupSteps: 15))
        case .full:
            return PretrainingSchedule(
                visionEncoder: StageSettings(steps: 3_000, batchSize: 128, learningRate: 1e-3, warmupSteps: 150),
                languageModel: StageSettings(steps: 3_000, batchSize: 32, learningRate: 2e-3, warmupSteps: 150),
                connector: StageSettings(steps: 1_500, batchSize: 32, learningRate: 3e-3, warmupSteps: 75),
                imageTokenizer: StageSettings(steps: 3_000, batchSize: 64, learningRate: 2e-3),
                unifiedDecoder: StageSettings(steps: 1_500, batchSize: 16, learningRate: 3e-4, warmupSteps: 75))
        }
    }
}
